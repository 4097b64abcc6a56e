import type { Executor, WebhookDeliveryRow, WebhookRow } from './schema.js';

export async function insertWebhook(executor: Executor, row: WebhookRow): Promise<void> {
  await executor.insertInto('webhooks').values(row).execute();
}

export async function updateWebhook(executor: Executor, id: string, changes: Partial<Omit<WebhookRow, 'id' | 'created_at'>>): Promise<void> {
  await executor.updateTable('webhooks').set(changes).where('id', '=', id).execute();
}

/** Deletes an endpoint and its delivery log. */
export async function deleteWebhook(executor: Executor, id: string): Promise<void> {
  await executor.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
  await executor.deleteFrom('webhooks').where('id', '=', id).execute();
}

export async function findWebhook(executor: Executor, id: string): Promise<WebhookRow | undefined> {
  return executor.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findWebhookByName(executor: Executor, name: string): Promise<WebhookRow | undefined> {
  return executor.selectFrom('webhooks').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listWebhooks(executor: Executor): Promise<WebhookRow[]> {
  return executor.selectFrom('webhooks').selectAll().orderBy('name').execute();
}

/** Inserts deliveries; one that exists for the same endpoint and event is kept, so fan-out may repeat safely. */
export async function insertDeliveries(executor: Executor, rows: readonly WebhookDeliveryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await executor
    .insertInto('webhook_deliveries')
    .values([...rows])
    .onConflict((conflict) => conflict.columns(['webhook_id', 'event_id']).doNothing())
    .execute();
}

export async function findDueDeliveries(executor: Executor, now: number, limit: number): Promise<WebhookDeliveryRow[]> {
  return executor
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('event_seq')
    .limit(limit)
    .execute();
}

export async function updateDelivery(
  executor: Executor,
  id: string,
  changes: Partial<Omit<WebhookDeliveryRow, 'id' | 'webhook_id' | 'event_id'>>,
): Promise<void> {
  await executor.updateTable('webhook_deliveries').set(changes).where('id', '=', id).execute();
}

export async function findDelivery(executor: Executor, id: string): Promise<WebhookDeliveryRow | undefined> {
  return executor.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Lists an endpoint's deliveries, newest first; `before` is the last id of the previous page. */
export async function listDeliveries(
  executor: Executor,
  query: { webhookId: string; status?: string | undefined; before?: string | undefined; limit: number },
): Promise<WebhookDeliveryRow[]> {
  let select = executor.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', query.webhookId).orderBy('id', 'desc').limit(query.limit);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  return select.execute();
}

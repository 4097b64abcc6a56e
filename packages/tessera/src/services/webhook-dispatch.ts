import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { defaultBackoff, retryDelaySeconds, type BackoffOptions } from '../core/backoff.js';
import { matchesEventType, summariseEvent } from '../core/event-types.js';
import { openSecret } from '../core/secret-box.js';
import { signWebhook } from '../core/webhook-signature.js';
import { listEventRows } from '../store/event-repository.js';
import { yieldToEventLoop, type Pace } from '../scheduler/pacer.js';
import { readCursor, writeCursor } from '../store/scheduler-repository.js';
import type { WebhookDeliveryRow, WebhookRow } from '../store/schema.js';
import { findDueDeliveries, insertDeliveries, listWebhooks, updateDelivery } from '../store/webhook-repository.js';
import type { ServiceContext } from './context.js';
import { toEvent, type TesseraEvent } from './events.js';
import { webhookSecretPurpose } from './webhooks.js';

export interface DeliveryOptions {
  /** A receiver that sends no response within this time fails the attempt, which is then retried. */
  timeoutMilliseconds: number;
  /** Deliveries sent at the same time. */
  concurrency: number;
  backoff: BackoffOptions;
}

export const defaultDeliveryOptions: DeliveryOptions = { timeoutMilliseconds: 10_000, concurrency: 8, backoff: defaultBackoff };

const fanOutConsumer = 'webhooks';
const eventsPerFanOut = 500;

/**
 * Turns new outbox events into pending deliveries, one per subscribed endpoint, and moves the
 * stored cursor in the same transaction. So an event is queued once per endpoint, even across
 * restarts, and the unique (endpoint, event) pair keeps it so if two passes ever overlap. Each
 * page of events waits for `pace` first (see scheduler/pacer.ts).
 */
export async function fanOutEvents(context: ServiceContext, pace: Pace = yieldToEventLoop): Promise<number> {
  let queued = 0;
  for (;;) {
    await pace();
    const batch = await context.db.transaction().execute(async (transaction) => {
      const afterSeq = await readCursor(transaction, fanOutConsumer);
      const events = await listEventRows(transaction, { afterSeq, limit: eventsPerFanOut });
      if (events.length === 0) return { events: 0, deliveries: 0 };

      const now = context.clock.now();
      const webhooks = (await listWebhooks(transaction)).filter((webhook) => webhook.enabled === 1);
      const rows: WebhookDeliveryRow[] = [];
      for (const event of events) {
        for (const webhook of webhooks) {
          // An endpoint receives what happened after it was created, not the history before it.
          if (Number(event.seq) <= Number(webhook.after_seq) || !matchesEventType(JSON.parse(webhook.event_types) as string[], event.type)) continue;
          rows.push(newDelivery(webhook, event.id, Number(event.seq), event.type, now));
        }
      }
      await insertDeliveries(transaction, rows);
      await writeCursor(transaction, { consumer: fanOutConsumer, last_seq: Number(events.at(-1)!.seq), updated_at: now });
      return { events: events.length, deliveries: rows.length };
    });
    queued += batch.deliveries;
    if (batch.events < eventsPerFanOut) return queued;
  }
}

function newDelivery(webhook: WebhookRow, eventId: string, eventSeq: number, eventType: string, now: number): WebhookDeliveryRow {
  return {
    id: uuidv7(),
    webhook_id: webhook.id,
    event_id: eventId,
    event_seq: eventSeq,
    event_type: eventType,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    last_attempt_at: null,
    last_status_code: null,
    last_error: null,
    delivered_at: null,
    created_at: now,
  };
}

/** Builds the request body: the Standard Webhooks shape `{type, timestamp, data}`, or a Slack-compatible message. */
export function deliveryBody(webhook: WebhookRow, event: TesseraEvent): string {
  if (webhook.format === 'slack') {
    const text = `[Tessera] ${summariseEvent(event)}`;
    return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event });
}

interface AttemptOutcome {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
}

async function attemptDelivery(context: ServiceContext, webhook: WebhookRow, event: TesseraEvent, options: DeliveryOptions): Promise<AttemptOutcome> {
  const key = context.keyRing.hashingKeys.find((candidate) => candidate.version === webhook.secret_key_version);
  if (!key)
    return { delivered: false, statusCode: null, error: `master key version ${webhook.secret_key_version} is not loaded; the signing secret cannot be opened` };
  const secret = openSecret(key, webhookSecretPurpose, webhook.id, webhook.secret_ciphertext);

  const body = deliveryBody(webhook, event);
  const timestamp = Math.floor(context.clock.now() / 1000);
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tessera-Webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, event.id, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMilliseconds),
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    const delivered = response.status >= 200 && response.status < 300;
    return { delivered, statusCode: response.status, error: delivered ? null : `receiver answered ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const message = timedOut
      ? `timed out after ${options.timeoutMilliseconds} ms`
      : `request failed: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : String(error)}`;
    return { delivered: false, statusCode: null, error: message.slice(0, 300) };
  }
}

/** Sends due deliveries, records each outcome, and schedules retries with exponential backoff and jitter. */
export async function sendDueDeliveries(
  context: ServiceContext,
  options: DeliveryOptions = defaultDeliveryOptions,
): Promise<{ delivered: number; failed: number }> {
  const due = await findDueDeliveries(context.db, context.clock.now(), 200);
  if (due.length === 0) return { delivered: 0, failed: 0 };

  const webhooks = new Map((await listWebhooks(context.db)).map((webhook) => [webhook.id, webhook]));
  const eventRows = await context.db
    .selectFrom('events')
    .selectAll()
    .where('id', 'in', [...new Set(due.map((delivery) => delivery.event_id))])
    .execute();
  const events = new Map(eventRows.map((row) => [row.id, toEvent(row)]));

  let delivered = 0;
  let failed = 0;
  const queue = [...due];
  const worker = async (): Promise<void> => {
    for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
      const webhook = webhooks.get(delivery.webhook_id);
      const event = events.get(delivery.event_id);
      // A disabled endpoint keeps its queue, which drains once it is enabled again.
      if (!webhook || webhook.enabled !== 1 || !event) continue;

      const outcome = await attemptDelivery(context, webhook, event, options);
      const now = context.clock.now();
      const attempts = delivery.attempts + 1;
      const exhausted = attempts >= options.backoff.maxAttempts;
      let status = 'pending';
      if (outcome.delivered) status = 'delivered';
      else if (exhausted) status = 'failed';
      const nextAttemptAt = now + Math.round(retryDelaySeconds(attempts, options.backoff, randomInt(1_000_000) / 1_000_000) * 1000);
      await updateDelivery(context.db, delivery.id, {
        status,
        attempts,
        last_attempt_at: now,
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        delivered_at: outcome.delivered ? now : null,
        next_attempt_at: nextAttemptAt,
      });

      if (outcome.delivered) {
        delivered += 1;
      } else {
        failed += 1;
        context.logger.warn(
          { webhookId: webhook.id, deliveryId: delivery.id, eventId: event.id, attempts, error: outcome.error, retry: status === 'pending' },
          status === 'pending' ? 'webhook delivery failed; retrying later' : 'webhook delivery failed; no attempts left',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, due.length) }, worker));
  return { delivered, failed };
}

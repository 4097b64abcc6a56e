import { v7 as uuidv7 } from 'uuid';
import { TesseraError, validationError } from '../core/errors.js';
import { isEventTypePattern } from '../core/event-types.js';
import { sealSecret } from '../core/secret-box.js';
import { maskTokensInText } from '../core/token-format.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { nextEventSeq } from '../store/event-repository.js';
import type { WebhookDeliveryRow, WebhookRow } from '../store/schema.js';
import {
  deleteWebhook as deleteWebhookRow,
  findDelivery,
  findWebhook,
  findWebhookByName,
  insertWebhook,
  listDeliveries as listDeliveryRows,
  listWebhooks as listWebhookRows,
  updateDelivery,
  updateWebhook as updateWebhookRow,
} from '../store/webhook-repository.js';
import type { Actor } from './actor.js';
import { auditedChange, type AuditRecord } from './audit-trail.js';
import { requirePermission, requireUnlimited } from './authorization.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, pageSize } from './pagination.js';
import { isoOrNull, type Page } from './views.js';

import { webhookFormats, type WebhookFormat } from '../core/webhook-format.js';
export { webhookFormats, type WebhookFormat };
export const webhookSecretPurpose = 'webhook signing secret';
const webhookNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface Webhook {
  id: string;
  name: string;
  url: string;
  description: string | null;
  format: WebhookFormat;
  eventTypes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
}

/** A new endpoint and its signing secret, which exists only in this response. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface WebhookInput {
  name?: string | undefined;
  url?: string | undefined;
  description?: string | null | undefined;
  format?: WebhookFormat | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    description: row.description,
    format: row.format as WebhookFormat,
    eventTypes: JSON.parse(row.event_types) as string[],
    enabled: row.enabled === 1,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    createdBy: row.created_by,
  };
}

export function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? isoOrNull(row.next_attempt_at) : null,
    lastAttemptAt: isoOrNull(row.last_attempt_at),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: isoOrNull(row.delivered_at),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function validateUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw validationError('url', `'${url.slice(0, 200)}' is not a URL; use e.g. https://hooks.example.com/tessera`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw validationError('url', 'must use http or https');
  // Credentials in the URL would be stored and shown in plain text; the signature authenticates deliveries instead.
  if (parsed.username !== '' || parsed.password !== '')
    throw validationError('url', 'must not contain a user name or password; receivers check the signature instead');
}

function validateInput(input: WebhookInput): void {
  if (input.name !== undefined && !webhookNamePattern.test(input.name)) {
    throw validationError('name', `'${input.name.slice(0, 80)}' is not a webhook name; use lowercase letters, digits, '.', '_' or '-', at most 63 characters`);
  }
  if (input.url !== undefined) validateUrl(input.url);
  if (input.format !== undefined && !webhookFormats.includes(input.format)) throw validationError('format', `must be one of ${webhookFormats.join(', ')}`);
  if (input.eventTypes !== undefined) {
    if (input.eventTypes.length === 0) throw validationError('eventTypes', 'subscribe to at least one event type, e.g. ["token.*"] or ["*"]');
    input.eventTypes.forEach((type, index) => {
      if (!isEventTypePattern(type))
        throw validationError(`eventTypes[${index}]`, `'${type.slice(0, 80)}' is not an event type; use e.g. token.expiring, token.* or *`);
    });
  }
}

function webhookNotFound(id: string): TesseraError {
  return new TesseraError('NOT_FOUND', `webhook '${id.slice(0, 80)}' does not exist; list webhooks to find its id`, { field: 'id' });
}

async function requireWebhook(context: ServiceContext, id: string): Promise<WebhookRow> {
  const row = await findWebhook(context.db, id);
  if (!row) throw webhookNotFound(id);
  return row;
}

/**
 * Requires a token without keyspace limits, because an endpoint receives events of every keyspace.
 * A limited token could otherwise subscribe to events of keyspaces it may not read.
 */
async function requireWebhookPermission(context: ServiceContext, actor: Actor, scope: 'webhooks:read' | 'webhooks:write', action: string) {
  await requirePermission(context, actor, { scope, action });
  await requireUnlimited(context, actor, action);
}

/** Creates an endpoint and returns its `whsec_` signing secret once; only a sealed copy is stored. */
export async function createWebhook(context: ServiceContext, actor: Actor, input: WebhookInput): Promise<CreatedWebhook> {
  await requireWebhookPermission(context, actor, 'webhooks:write', 'webhook.create');
  if (input.name === undefined) throw validationError('name', 'is required');
  if (input.url === undefined) throw validationError('url', 'is required');
  validateInput(input);

  const secret = generateWebhookSecret();
  return auditedChange(context, actor, async (transaction, now) => {
    if (await findWebhookByName(transaction, input.name!))
      throw new TesseraError('CONFLICT', `name: webhook '${input.name}' already exists; choose another name`, { field: 'name' });
    const id = uuidv7();
    const key = context.keyRing.current;
    const row: WebhookRow = {
      id,
      name: input.name!,
      url: input.url!,
      description: maskTokensInText(input.description ?? null),
      format: input.format ?? 'standard',
      event_types: JSON.stringify([...new Set(input.eventTypes ?? ['*'])]),
      enabled: input.enabled === false ? 0 : 1,
      // Read under the audit head lock that auditedChange holds, so no event can take a smaller seq later.
      after_seq: (await nextEventSeq(transaction)) - 1,
      secret_ciphertext: sealSecret(key, webhookSecretPurpose, id, secret),
      secret_key_version: key.version,
      created_at: now,
      updated_at: now,
      created_by: actor.id,
    };
    await insertWebhook(transaction, row);
    const audit: AuditRecord = {
      action: 'webhook.create',
      target: { type: 'webhook', id },
      outcome: 'success',
      details: { name: row.name, format: row.format, eventTypes: JSON.parse(row.event_types) as string[] },
    };
    return { result: { ...toWebhook(row), secret }, audit };
  });
}

export async function listWebhooks(context: ServiceContext, actor: Actor): Promise<{ items: Webhook[]; nextCursor: null }> {
  await requireWebhookPermission(context, actor, 'webhooks:read', 'webhook.list');
  return { items: (await listWebhookRows(context.db)).map(toWebhook), nextCursor: null };
}

export async function getWebhook(context: ServiceContext, actor: Actor, id: string): Promise<Webhook> {
  await requireWebhookPermission(context, actor, 'webhooks:read', 'webhook.read');
  return toWebhook(await requireWebhook(context, id));
}

/** Changes an endpoint's URL, format, subscriptions or enabled flag; the signing secret stays. */
export async function updateWebhook(context: ServiceContext, actor: Actor, id: string, input: WebhookInput): Promise<Webhook> {
  await requireWebhookPermission(context, actor, 'webhooks:write', 'webhook.update');
  validateInput(input);
  const row = await requireWebhook(context, id);

  return auditedChange(context, actor, async (transaction, now) => {
    if (input.name !== undefined && input.name !== row.name && (await findWebhookByName(transaction, input.name))) {
      throw new TesseraError('CONFLICT', `name: webhook '${input.name}' already exists; choose another name`, { field: 'name' });
    }
    const changes: Partial<WebhookRow> = { updated_at: now };
    if (input.name !== undefined) changes.name = input.name;
    if (input.url !== undefined) changes.url = input.url;
    if (input.description !== undefined) changes.description = maskTokensInText(input.description);
    if (input.format !== undefined) changes.format = input.format;
    if (input.eventTypes !== undefined) changes.event_types = JSON.stringify([...new Set(input.eventTypes)]);
    if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
    await updateWebhookRow(transaction, id, changes);

    const fields = Object.keys(input).sort();
    const audit: AuditRecord = { action: 'webhook.update', target: { type: 'webhook', id }, outcome: 'success', details: { name: row.name, fields } };
    return { result: toWebhook({ ...row, ...changes }), audit };
  });
}

export async function deleteWebhook(context: ServiceContext, actor: Actor, id: string): Promise<void> {
  await requireWebhookPermission(context, actor, 'webhooks:write', 'webhook.delete');
  const row = await requireWebhook(context, id);
  await auditedChange(context, actor, async (transaction) => {
    await deleteWebhookRow(transaction, id);
    return { result: undefined, audit: { action: 'webhook.delete', target: { type: 'webhook', id }, outcome: 'success', details: { name: row.name } } };
  });
}

export async function listWebhookDeliveries(
  context: ServiceContext,
  actor: Actor,
  id: string,
  query: { status?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<WebhookDelivery>> {
  await requireWebhookPermission(context, actor, 'webhooks:read', 'webhook.deliveries');
  await requireWebhook(context, id);
  const limit = pageSize(query.limit);
  const rows = await listDeliveryRows(context.db, { webhookId: id, status: query.status, before: decodeCursor(query.cursor), limit });
  const last = rows.at(-1);
  return { items: rows.map(toDelivery), nextCursor: rows.length === limit && last ? encodeCursor(last.id) : null };
}

/**
 * Sends a delivery again, delivered or failed, with the same `webhook-id`, so a receiver that keeps
 * the ids it has seen treats it as a duplicate unless it lost the first copy.
 */
export async function replayDelivery(context: ServiceContext, actor: Actor, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  await requireWebhookPermission(context, actor, 'webhooks:write', 'webhook.replay');
  const delivery = await findDelivery(context.db, deliveryId);
  if (!delivery || delivery.webhook_id !== webhookId) {
    throw new TesseraError('NOT_FOUND', `delivery '${deliveryId.slice(0, 80)}' of webhook '${webhookId.slice(0, 80)}' does not exist; list its deliveries`, {
      field: 'deliveryId',
    });
  }
  return auditedChange(context, actor, async (transaction, now) => {
    const changes = { status: 'pending', attempts: 0, next_attempt_at: now, last_error: null };
    await updateDelivery(transaction, deliveryId, changes);
    const audit: AuditRecord = {
      action: 'webhook.replay',
      target: { type: 'webhook', id: webhookId },
      outcome: 'success',
      details: { deliveryId, eventId: delivery.event_id },
    };
    return { result: toDelivery({ ...delivery, ...changes }), audit };
  });
}

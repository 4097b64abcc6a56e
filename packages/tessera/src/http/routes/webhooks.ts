import type { FastifyInstance } from 'fastify';
import { eventTypePatternSource } from '../../core/event-types.js';
import type { ServiceContext } from '../../services/context.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  replayDelivery,
  updateWebhook,
  webhookFormats,
  type WebhookInput,
} from '../../services/webhooks.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, idParamsSchema, noNulPattern, pageOf, pageQuerySchema } from '../schemas.js';

const webhookFields = {
  name: { type: 'string', maxLength: 63 },
  url: { type: 'string', maxLength: 2000, description: 'http or https URL that receives POST requests' },
  description: { type: ['string', 'null'], maxLength: 500, pattern: noNulPattern },
  format: { type: 'string', enum: [...webhookFormats], description: 'standard: the event as JSON; slack: a Slack-compatible message' },
  eventTypes: {
    type: 'array',
    items: { type: 'string', pattern: eventTypePatternSource, maxLength: 100 },
    minItems: 1,
    maxItems: 100,
    description: 'exact types (token.expiring), prefixes (token.*) or * for all; default *',
  },
  enabled: { type: 'boolean' },
} as const;

export const webhookSchema = {
  $id: 'Webhook',
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    url: { type: 'string' },
    description: { type: ['string', 'null'] },
    format: { type: 'string', enum: [...webhookFormats] },
    eventTypes: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    createdBy: { type: ['string', 'null'] },
    secret: { type: 'string', description: 'the whsec_ signing secret; only in the response that creates the webhook' },
  },
} as const;

export const webhookDeliverySchema = {
  $id: 'WebhookDelivery',
  type: 'object',
  properties: {
    id: { type: 'string' },
    webhookId: { type: 'string' },
    eventId: { type: 'string', description: 'sent as webhook-id; the same on every retry and replay' },
    eventType: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastStatusCode: { type: ['integer', 'null'] },
    lastError: { type: ['string', 'null'] },
    deliveredAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export function webhookRoutes(app: FastifyInstance, context: ServiceContext): void {
  const onRequest = requireAdminToken(context);
  const security = [{ bearerAuth: [] }];
  const tags = ['webhooks'];
  const webhookResponse = { 200: { $ref: 'Webhook#' }, '4xx': errorSchema };

  app.post<{ Body: WebhookInput }>(
    '/v1/webhooks',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create a webhook endpoint; the response holds its signing secret once (scope webhooks:write)',
        security,
        body: { type: 'object', additionalProperties: false, required: ['name', 'url'], properties: webhookFields },
        response: { 201: { $ref: 'Webhook#' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createWebhook(context, actorOf(request), request.body)),
  );

  app.get(
    '/v1/webhooks',
    {
      onRequest,
      schema: { tags, summary: 'List webhook endpoints (scope webhooks:read)', security, response: { 200: pageOf('Webhook'), '4xx': errorSchema } },
    },
    async (request) => listWebhooks(context, actorOf(request)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    { onRequest, schema: { tags, summary: 'Get a webhook endpoint (scope webhooks:read)', security, params: idParamsSchema, response: webhookResponse } },
    async (request) => getWebhook(context, actorOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: WebhookInput }>(
    '/v1/webhooks/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Change a webhook endpoint; the signing secret stays (scope webhooks:write)',
        security,
        params: idParamsSchema,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: webhookFields },
        response: webhookResponse,
      },
    },
    async (request) => updateWebhook(context, actorOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Delete a webhook endpoint and its delivery log (scope webhooks:write)',
        security,
        params: idParamsSchema,
        response: { '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await deleteWebhook(context, actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { status?: string; limit?: number; cursor?: string } }>(
    '/v1/webhooks/:id/deliveries',
    {
      onRequest,
      schema: {
        tags,
        summary: "List an endpoint's deliveries with their outcomes, newest first (scope webhooks:read)",
        security,
        params: idParamsSchema,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pageQuerySchema, status: { type: 'string', enum: ['pending', 'delivered', 'failed'] } },
        },
        response: { 200: pageOf('WebhookDelivery'), '4xx': errorSchema },
      },
    },
    async (request) => listWebhookDeliveries(context, actorOf(request), request.params.id, request.query),
  );

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/webhooks/:id/deliveries/:deliveryId/replay',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Send a delivery again with the same webhook-id (scope webhooks:write)',
        security,
        params: {
          type: 'object',
          required: ['id', 'deliveryId'],
          properties: { id: { type: 'string', maxLength: 100, pattern: noNulPattern }, deliveryId: { type: 'string', maxLength: 100, pattern: noNulPattern } },
        },
        response: { 200: { $ref: 'WebhookDelivery#' }, '4xx': errorSchema },
      },
    },
    async (request) => replayDelivery(context, actorOf(request), request.params.id, request.params.deliveryId),
  );
}

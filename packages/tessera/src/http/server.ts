import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import { redactTokensInUrl } from '../core/token-format.js';
import type { ServiceContext } from '../services/context.js';
import { dashboardRoutes, defaultDashboardDir } from './dashboard.js';
import { handleError } from './errors.js';
import { RequestLogController } from './request-log.js';
import { auditRoutes } from './routes/audit.js';
import { callerRoutes } from './routes/caller.js';
import { healthRoutes } from './routes/health.js';
import { keyspaceRoutes } from './routes/keyspaces.js';
import { leakRoutes } from './routes/leaks.js';
import { reportRoutes } from './routes/reports.js';
import { secretRotationRoutes } from './routes/secret-rotation.js';
import { secretRetirementRoutes } from './routes/secret-retirement.js';
import { secretRoutes } from './routes/secrets.js';
import { tokenSummaryRoutes } from './routes/token-summary.js';
import { tokenRoutes } from './routes/tokens.js';
import { metricsRoutes } from './routes/metrics.js';
import { usageRoutes } from './routes/usage.js';
import { verifyRoutes } from './routes/verify.js';
import { auditEntrySchema, eventSchema, keyspaceSchema, tokenSchema } from './schemas.js';
import { eventRoutes } from './routes/events.js';
import { alertRoutes, alertSchema } from './routes/alerts.js';
import { policyRoutes, policySchema } from './routes/policies.js';
import { retirementRoutes } from './routes/retirement.js';
import { webhookDeliverySchema, webhookRoutes, webhookSchema } from './routes/webhooks.js';

// Components that routes refer to by $ref, registered with both the validator and the OpenAPI document.
const sharedSchemas = [keyspaceSchema, tokenSchema, auditEntrySchema, eventSchema, policySchema, webhookSchema, webhookDeliverySchema, alertSchema];

export const bodyLimitBytes = 1024 * 1024;

/**
 * Two validators: bodies are checked strictly (no coercion, unknown fields rejected rather than
 * dropped), while query strings, which are always text, are coerced to the declared types.
 */
function createValidators() {
  const options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const bodyValidator = new Ajv({ ...options, coerceTypes: false });
  const queryValidator = new Ajv({ ...options, coerceTypes: true });
  for (const validator of [bodyValidator, queryValidator]) {
    addFormats.default(validator, ['date-time', 'ipv4', 'ipv6']);
    for (const schema of sharedSchemas) validator.addSchema(schema);
  }
  return { bodyValidator, queryValidator };
}

export interface ServerOptions {
  /** Reports whether start-up has finished; /readyz answers 503 until it has. Defaults to always. */
  isStarted?: () => boolean;
  /** Folder of the built dashboard served at `/`, by default the dashboard package's dist folder. Without an index.html there, `/` returns 404. */
  dashboardDir?: string;
}

export async function buildServer(context: ServiceContext, logger: Logger, options: ServerOptions = {}): Promise<FastifyInstance> {
  // Typed as the base instance: routes are written against it, and pino is one FastifyBaseLogger.
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLogController(),
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    // Malformed and over-long paths are rejected before routing; this gives them the usual error body.
    frameworkErrors: handleError,
  });

  // Fastify parses text/plain by default; the API takes only JSON, so any other type gets 415.
  app.removeContentTypeParser('text/plain');

  const { bodyValidator, queryValidator } = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyValidator : queryValidator).compile(schema));
  for (const schema of sharedSchemas) app.addSchema(schema);

  app.decorateRequest('actor', null);
  app.decorateRequest('holder', null);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    // The path may carry a token pasted in the wrong place, so it is echoed with tokens replaced by their hints.
    const path = redactTokensInUrl(request.url.split('?')[0] ?? '');
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}; see /openapi.json` } });
  });

  // A callback hook, not an async one: it runs on every request, and a promise per request costs.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(swagger, {
    // Components keep their $id as name (Token, Keyspace, AuditEntry) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${index}`) },
    openapi: {
      // 3.1 schemas are JSON Schema, so the request schemas are published as they are enforced.
      openapi: '3.1.0',
      info: { title: 'Tessera', version: '0.1.0', description: 'Issue, verify, rotate, revoke and audit API tokens.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an admin token' } } },
    },
  });

  healthRoutes(app, context, options.isStarted ?? (() => true));
  callerRoutes(app, context);
  keyspaceRoutes(app, context);
  tokenSummaryRoutes(app, context);
  tokenRoutes(app, context);
  verifyRoutes(app, context);
  leakRoutes(app, context);
  auditRoutes(app, context);
  eventRoutes(app, context);
  secretRoutes(app, context);
  secretRotationRoutes(app, context);
  secretRetirementRoutes(app, context);
  reportRoutes(app, context);
  usageRoutes(app, context);
  metricsRoutes(app, context);
  policyRoutes(app, context);
  webhookRoutes(app, context);
  alertRoutes(app, context);
  retirementRoutes(app, context);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await dashboardRoutes(app, options.dashboardDir ?? defaultDashboardDir);

  return app;
}

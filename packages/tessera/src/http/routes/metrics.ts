import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../services/authorization.js';
import type { ServiceContext } from '../../services/context.js';
import { actorOf, requireAdminToken } from '../auth.js';

export function metricsRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get(
    '/metrics',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['metrics'],
        summary: 'Prometheus metrics in the text exposition format (scope metrics:read; Prometheus sends the admin token as bearer token)',
        security: [{ bearerAuth: [] }],
      },
    },
    async (request, reply) => {
      await requirePermission(context, actorOf(request), { scope: 'metrics:read', action: 'metrics.read' });
      const body = await context.metrics.registry.metrics();
      return reply.type(context.metrics.registry.contentType).send(body);
    },
  );
}

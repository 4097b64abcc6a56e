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
      const rendered = await context.metrics.render();
      if (rendered === null) {
        return reply
          .status(404)
          .send({ error: { code: 'NOT_FOUND', message: 'this process collects no metrics; scrape the server started by tessera serve' } });
      }
      return reply.type(rendered.contentType).send(rendered.body);
    },
  );
}

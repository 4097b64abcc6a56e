import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ServiceContext } from '../../services/context.js';

export function healthRoutes(app: FastifyInstance, context: ServiceContext, isStarted: () => boolean): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness: start-up finished and the database answers' } }, async (request, reply) => {
    // The server listens before it creates the first admin token, so readiness waits for that step.
    if (!isStarted()) return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'the server is still starting; retry shortly' } });

    try {
      await sql`select 1`.execute(context.db);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database unreachable');
      return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'database unreachable; check DATABASE_URL or the data directory' } });
    }
  });
}

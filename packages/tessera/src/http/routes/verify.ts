import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { verifyToken, type VerifyRequest } from '../../services/verifier.js';
import { visibleKeyspaces, requirePermission } from '../../services/authorization.js';
import { actorOf, requireAdminToken } from '../auth.js';
import { errorSchema, verifyBodySchema, verifyResultSchema } from '../schemas.js';

export function verifyRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.post<{ Body: VerifyRequest }>(
    '/v1/verify',
    {
      onRequest: requireAdminToken(context),
      schema: {
        tags: ['verify'],
        summary: 'Verify a token for a calling service (scope tokens:verify); the answer is 200 with a result code, valid or not',
        security: [{ bearerAuth: [] }],
        body: verifyBodySchema,
        response: { 200: verifyResultSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      await requirePermission(context, actor, { scope: 'tokens:verify', action: 'token.verify' });
      return verifyToken(context, request.body, visibleKeyspaces(actor));
    },
  );
}

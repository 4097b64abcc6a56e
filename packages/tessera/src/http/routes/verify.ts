import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { verifyTokenNow, type VerifyRequest } from '../../services/verifier.js';
import { isPermitted, keyspaceVisibility, recordScopeUse, requirePermission } from '../../services/authorization.js';
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
    // Not async, so a permitted caller with a cached token gets its result without a promise.
    (request) => {
      const actor = actorOf(request);
      // isPermitted is requirePermission's own first check; a denied caller still goes through
      // requirePermission, which audits the denial and throws.
      if (!isPermitted(actor, 'tokens:verify')) {
        return requirePermission(context, actor, { scope: 'tokens:verify', action: 'token.verify' }).then(() =>
          verifyTokenNow(context, request.body, keyspaceVisibility(actor)),
        );
      }

      recordScopeUse(context, actor, 'tokens:verify');
      const started = performance.now();
      const result = verifyTokenNow(context, request.body, keyspaceVisibility(actor));
      if (!(result instanceof Promise)) {
        context.metrics.observeVerifyDuration((performance.now() - started) / 1000);
        return result;
      }
      return result.then((settled) => {
        context.metrics.observeVerifyDuration((performance.now() - started) / 1000);
        return settled;
      });
    },
  );
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../services/actor.js';
import { authenticateAdmin } from '../services/authentication.js';
import type { ServiceContext } from '../services/context.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** An onRequest hook, so authentication precedes body parsing and validation, that admits only requests with a valid admin token; everything else gets 401. */
export function requireAdminToken(context: ServiceContext) {
  return async function authenticateAdminRequest(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    request.actor = await authenticateAdmin(context, request.headers.authorization, request.ip);
  };
}

/** The actor of an authenticated request; routes behind `requireAdminToken` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('route is missing the admin authentication hook');
  return request.actor;
}

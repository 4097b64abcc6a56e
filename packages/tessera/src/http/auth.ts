import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Actor } from '../services/actor.js';
import { authenticateAdminNow } from '../services/authentication.js';
import type { ServiceContext } from '../services/context.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/**
 * An onRequest hook, so authentication precedes body parsing and validation, that admits only
 * requests with a valid admin token; everything else gets 401. It takes a callback rather than
 * being async, so that a cached admin token passes without a promise.
 */
export function requireAdminToken(context: ServiceContext) {
  return function authenticateAdminRequest(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let actor: Actor | Promise<Actor>;
    try {
      actor = authenticateAdminNow(context, request.headers.authorization, request.ip);
    } catch (error) {
      done(error as Error);
      return;
    }

    if (actor instanceof Promise) {
      actor.then((admitted) => {
        request.actor = admitted;
        done();
      }, done);
      return;
    }
    request.actor = actor;
    done();
  };
}

/** Returns the actor of an authenticated request; routes behind `requireAdminToken` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('route is missing the admin authentication hook');
  return request.actor;
}

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Actor } from '../services/actor.js';
import { authenticateAdminNow, authenticateHolder } from '../services/authentication.js';
import type { CachedToken } from '../services/verification-cache.js';
import type { ServiceContext } from '../services/context.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** The presented token itself, on routes where a token acts on its own behalf (self-rotation). */
    holder: CachedToken | null;
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

/** An onRequest hook that admits a request whose bearer is an active token of any keyspace, acting for itself. */
export function requireHolderToken(context: ServiceContext) {
  return async function authenticateHolderRequest(request: FastifyRequest): Promise<void> {
    const { actor, token } = await authenticateHolder(context, request.headers.authorization, request.ip);
    request.actor = actor;
    request.holder = token;
  };
}

/** Returns the token of a request admitted by `requireHolderToken`. */
export function holderOf(request: FastifyRequest): CachedToken {
  if (!request.holder) throw new Error('route is missing the holder authentication hook');
  return request.holder;
}

/** Returns the actor of an authenticated request; routes behind `requireAdminToken` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('route is missing the admin authentication hook');
  return request.actor;
}

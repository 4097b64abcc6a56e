import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { compileRules } from '../core/scanner/compile-rules.js';
import { redactSecrets } from '../core/scanner/redaction.js';
import type { CompiledRule } from '../core/scanner/rule.js';
import { redactTokensInUrl } from '../core/token-format.js';

let scannerRules: CompiledRule[] | undefined;

/**
 * Masks tokens anywhere in a URL, and in its query every secret a scanner rule matches: a search
 * box is where someone pastes a third-party key to find it. URLs without a query, such as the
 * verification route's, skip the scanner.
 */
function redactUrl(url: string): string {
  const masked = redactTokensInUrl(url);
  const queryStart = masked.indexOf('?');
  if (queryStart < 0) return masked;

  scannerRules ??= compileRules();
  return masked.slice(0, queryStart) + redactSecrets(masked.slice(queryStart), scannerRules);
}

/** Writes one line per request, after the response, with its id and the URL with tokens and secrets masked, also when percent-encoded. */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request');
  }
}

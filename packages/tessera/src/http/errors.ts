import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError, type ErrorCode } from '../core/errors.js';
import { prefixPattern, redactTokens } from '../core/token-format.js';
import { keyspaceNamePattern } from '../services/keyspaces.js';
import {
  createKeyspaceBodySchema,
  createTokenBodySchema,
  noNulPattern,
  policySchema,
  rotateBodySchema,
  updateTokenBodySchema,
  verifyBodySchema,
} from './schemas.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
  /** Set by Ajv when the violation is in a key of the object at instancePath (propertyNames). */
  propertyName?: string | undefined;
}

/** Turns "/scopes/0" into "scopes[0]" so messages name fields the way clients write them. */
function fieldPath(context: string | undefined, instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  let path = context ?? 'body';
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  return path;
}

/** Describes the first schema violation: the field, what is wrong, and the fix where it is known. */
export function describeValidationIssue(context: string | undefined, issue: ValidationIssue): { field: string; message: string } {
  const field = fieldPath(context, issue.instancePath);
  const params = issue.params;
  if (issue.propertyName !== undefined) return describeKeyIssue(field, issue);
  switch (issue.keyword) {
    case 'additionalProperties': {
      const unknown = String(params['additionalProperty']);
      const suggestion = closestFieldName(unknown);
      const fix = suggestion ? `did you mean '${suggestion}'?` : 'remove it (see /openapi.json)';
      return { field: `${field}.${unknown}`, message: `${field}.${unknown}: unknown field; ${fix}` };
    }
    case 'required':
      return { field: `${field}.${String(params['missingProperty'])}`, message: `${field}.${String(params['missingProperty'])}: is required` };
    case 'type':
      return { field, message: `${field}: must be of type ${String(params['type']).split(',').join(' or ')}` };
    case 'maxLength':
      return { field, message: `${field}: must be at most ${String(params['limit'])} characters` };
    case 'minLength':
      if (params['limit'] === 1) return { field, message: `${field}: must not be empty` };
      return { field, message: `${field}: must be at least ${String(params['limit'])} characters` };
    case 'minimum':
      return { field, message: `${field}: must be at least ${String(params['limit'])}` };
    case 'maximum':
      return { field, message: `${field}: must be at most ${String(params['limit'])}` };
    case 'minProperties':
      return { field, message: `${field}: must have at least ${String(params['limit'])} ${params['limit'] === 1 ? 'field' : 'fields'}` };
    case 'maxProperties':
      return { field, message: `${field}: must have at most ${String(params['limit'])} keys` };
    case 'maxItems':
      return { field, message: `${field}: must have at most ${String(params['limit'])} items` };
    case 'pattern':
      if (params['pattern'] === noNulPattern) return { field, message: `${field}: must not contain the NUL character (U+0000); remove it` };
      if (field.includes('scopes')) return { field, message: `${field}: is not a scope; use resource:action in lowercase, e.g. invoices:read` };
      return {
        field,
        message: `${field}: ${patternDescriptions.get(String(params['pattern'])) ?? `has invalid characters; it must match ${String(params['pattern'])}`}`,
      };
    case 'format':
      // The only fields with an IP format accept either family; Ajv reports the first alternative.
      if (params['format'] === 'ipv4' || params['format'] === 'ipv6') return { field, message: `${field}: must be an IPv4 or IPv6 address` };
      return {
        field,
        message: `${field}: must be a valid ${String(params['format'])}${params['format'] === 'date-time' ? ', e.g. 2027-01-31T00:00:00Z' : ''}`,
      };
    case 'enum':
      return { field, message: `${field}: must be one of ${(params['allowedValues'] as unknown[]).join(', ')}` };
    case 'anyOf':
      return { field, message: `${field}: must be an IPv4 or IPv6 address` };
    default:
      return { field, message: `${field}: ${issue.message ?? 'is invalid'}` };
  }
}

// The rules of the named patterns in words, for messages a person can act on without reading a regex.
const patternDescriptions = new Map<string, string>([
  [keyspaceNamePattern.source, "use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters"],
  [prefixPattern.source, "use a lowercase letter, then lowercase letters, digits or single '_', at most 16 characters"],
]);

// Every field name the request bodies accept, to suggest the intended one for a misspelt field.
const knownFieldNames = [
  ...new Set(
    [createKeyspaceBodySchema, createTokenBodySchema, updateTokenBodySchema, rotateBodySchema, verifyBodySchema, policySchema].flatMap((schema) =>
      Object.keys(schema.properties),
    ),
  ),
];

/** Returns the accepted field name a misspelt one most likely meant: a prefix of it, or one or two edits away. */
export function closestFieldName(unknown: string): string | null {
  // The name comes from an unauthenticated body of up to 1 MiB; the distance costs its length times each candidate's.
  if (unknown.length > 64) return null;
  const lower = unknown.toLowerCase();
  const byPrefix = knownFieldNames.find((name) => lower.length >= 3 && name.toLowerCase().startsWith(lower));
  if (byPrefix) return byPrefix;

  let best: { name: string; distance: number } | null = null;
  for (const name of knownFieldNames) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= 2 && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing one. */
function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** Describes a violation in an object's key, such as a metadata key, without quoting the key. */
function describeKeyIssue(field: string, issue: ValidationIssue): { field: string; message: string } {
  switch (issue.keyword) {
    case 'maxLength':
      return { field, message: `${field}: every key must be at most ${String(issue.params['limit'])} characters` };
    case 'pattern':
      if (issue.params['pattern'] === noNulPattern) return { field, message: `${field}: keys must not contain the NUL character (U+0000); remove it` };
      return { field, message: `${field}: a key has invalid characters; it must match ${String(issue.params['pattern'])}` };
    default:
      return { field, message: `${field}: a key is invalid (${issue.message ?? issue.keyword})` };
  }
}

const fastifyCodes: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON', message: 'body: not valid JSON; send a JSON object with Content-Type: application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON', message: 'body: empty, but Content-Type is application/json; send a JSON object or no Content-Type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'body: larger than the 1 MiB limit; send a smaller request' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type: not supported; send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'Content-Length: does not match the body; send the body length' },
  // Fastify's own messages for these two quote the path, which may hold a token: never echo it.
  FST_ERR_BAD_URL: { code: 'VALIDATION_FAILED', message: 'path: not a valid URL; percent-encode it as UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'VALIDATION_FAILED', message: 'path: a path parameter is longer than 100 characters; check the id or name' },
};

// Messages may quote what the client sent, such as a field name or an id, and that may be a token
// pasted in the wrong place. So every token-shaped string is replaced by its hint before sending.
function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string): FastifyReply {
  const error = field === undefined ? { code, message: redactTokens(message) } : { code, message: redactTokens(message), field: redactTokens(field) };
  return reply.status(status).send({ error });
}

/**
 * Turns every error into an HTTP response, in this one place. Client mistakes get a 4xx that
 * names the field. Anything else is a 500 whose details stay in the log, never in the body.
 */
export function handleError(error: FastifyError | TesseraError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof TesseraError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, error.status, error.code, error.message, error.field);
  }

  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0] as ValidationIssue | undefined;
    const described = first ? describeValidationIssue(fastifyError.validationContext, first) : { message: 'request is invalid', field: undefined };
    return sendError(reply, 400, 'VALIDATION_FAILED', described.message, described.field);
  }

  const known = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (known) return sendError(reply, fastifyError.statusCode ?? 400, known.code, known.message);

  // Node's JSON parser quotes part of the input in its message, which may be a token: never echo it.
  if (error instanceof SyntaxError) return sendError(reply, 400, 'MALFORMED_JSON', fastifyCodes['FST_ERR_CTP_INVALID_JSON_BODY']!.message);

  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    request.log.warn({ err: error }, 'request rejected');
    return sendError(reply, status, 'VALIDATION_FAILED', `request rejected (${fastifyError.code ?? status}); check the request against /openapi.json`);
  }

  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'INTERNAL', `internal error; the server log has the details under request id ${request.id}`);
}

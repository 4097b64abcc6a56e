import { anomalyResponses } from '../core/anomaly-policy.js';
import { maxAllowedNetworks, maxRateLimits } from '../core/limits.js';
import { scopePattern } from '../core/scopes.js';
import { prefixPattern } from '../core/token-format.js';
import { tokenStates } from '../core/token-state.js';
import { verifyCodes } from '../core/verification.js';
import { keyspaceNamePattern } from '../services/keyspaces.js';
import { maxPageSize, sortedCursorMaxLength, type SortField } from '../services/pagination.js';

// JSON schemas of the API: they validate requests (unknown fields and wrong types are rejected,
// never coerced or dropped), shape responses, and feed /openapi.json.

const day = 86400;
const nullableString = { type: ['string', 'null'] } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableIsoTime = { type: ['string', 'null'], format: 'date-time' } as const;

/**
 * Matches strings without U+0000. PostgreSQL cannot store that character in a text column, so
 * free-text fields reject it here, as a 400, on both stores alike.
 */
export const noNulPattern = '^[^\\u0000]*$';

// `admin` is the one scope outside resource:action, valid only in the admin keyspace.
export const scopeSchema = {
  type: 'string',
  pattern: `^(?:admin|${scopePattern.source.slice(1, -1)})$`,
  maxLength: 65,
  description: 'resource:action, e.g. invoices:read',
} as const;
export const scopeListSchema = { type: 'array', items: scopeSchema, maxItems: 64 } as const;
export const keyspaceNameSchema = { type: 'string', pattern: keyspaceNamePattern.source, maxLength: 63 } as const;
const metadataSchema = {
  type: 'object',
  maxProperties: 32,
  propertyNames: { maxLength: 64, pattern: noNulPattern },
  additionalProperties: { type: 'string', maxLength: 500, pattern: noNulPattern },
} as const;

export const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rateLimits: {
      type: 'array',
      maxItems: maxRateLimits,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['limit', 'windowSeconds'],
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000_000_000 }, windowSeconds: { type: 'integer', minimum: 1, maximum: 31 * day } },
      },
    },
    quota: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['uses'],
      properties: { uses: { type: 'integer', minimum: 1, maximum: 1_000_000_000_000 }, refillSeconds: { type: 'integer', minimum: 1, maximum: 3650 * day } },
    },
    allowedNetworks: { type: ['array', 'null'], maxItems: maxAllowedNetworks, items: { type: 'string', minLength: 2, maxLength: 64 } },
  },
} as const;

const detectorSwitch = { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' } } } as const;

export const anomalyPolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    response: { type: 'string', enum: [...anomalyResponses] },
    rotateOnSuspicion: { type: 'boolean' },
    rotationGracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 90 * day },
    learningPeriodSeconds: { type: 'integer', minimum: 0, maximum: 365 * day },
    dedupePeriodSeconds: { type: 'integer', minimum: 60, maximum: 30 * day },
    rateSpike: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, factor: { type: 'number', maximum: 1_000_000 }, floorPerMinute: { type: 'integer', minimum: 0 } },
    },
    newNetwork: detectorSwitch,
    retiredToken: detectorSwitch,
    failureBurst: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' }, perMinute: { type: 'integer', minimum: 1 } } },
    newScope: detectorSwitch,
  },
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxLifetimeSeconds: { type: 'integer', minimum: 60, maximum: 3650 * day },
    allowNoExpiry: { type: 'boolean' },
    gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 90 * day },
    allowSelfRotation: { type: 'boolean' },
    limits: limitsSchema,
    anomaly: anomalyPolicySchema,
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string', description: 'the request field at fault, where there is one' },
      },
    },
  },
} as const;

export const keyspaceSchema = {
  $id: 'Keyspace',
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    description: nullableString,
    scopes: { type: 'array', items: { type: 'string' } },
    policy: { ...policySchema, required: ['maxLifetimeSeconds', 'allowNoExpiry', 'gracePeriodSeconds', 'allowSelfRotation'] },
    createdAt: isoTime,
    createdBy: nullableString,
  },
} as const;

export const tokenSchema = {
  $id: 'Token',
  type: 'object',
  properties: {
    id: { type: 'string' },
    keyspace: { type: 'string' },
    name: { type: 'string' },
    owner: nullableString,
    description: nullableString,
    scopes: { type: 'array', items: { type: 'string' } },
    hint: { type: 'string', description: 'prefix and last 4 characters; not secret' },
    state: { type: 'string', enum: [...tokenStates] },
    createdAt: isoTime,
    updatedAt: isoTime,
    expiresAt: nullableIsoTime,
    lastUsedAt: nullableIsoTime,
    lastUsedIp: nullableString,
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    createdBy: nullableString,
    predecessorId: nullableString,
    successorId: nullableString,
    stateReason: nullableString,
    stateChangedAt: nullableIsoTime,
    adminKeyspaces: { type: ['array', 'null'], items: { type: 'string' } },
    limits: { anyOf: [limitsSchema, { type: 'null' }] },
  },
} as const;

export const auditEntrySchema = {
  $id: 'AuditEntry',
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    id: { type: 'string' },
    occurredAt: isoTime,
    actor: { type: 'object', properties: { type: { type: 'string' }, id: nullableString, hint: nullableString } },
    action: { type: 'string' },
    target: { type: 'object', properties: { type: nullableString, id: nullableString } },
    keyspace: nullableString,
    sourceIp: nullableString,
    outcome: { type: 'string', enum: ['success', 'denied', 'failure'] },
    details: { type: 'object', additionalProperties: true },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

export const eventSchema = {
  $id: 'Event',
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    id: { type: 'string', description: 'stable id; a receiver deduplicates by it' },
    type: { type: 'string', description: 'e.g. token.created, token.rotated, token.revoked' },
    occurredAt: isoTime,
    subject: { type: 'object', properties: { type: nullableString, id: nullableString } },
    keyspace: nullableString,
    actorId: nullableString,
    data: { type: 'object', additionalProperties: true },
  },
} as const;

export function pageOf(itemReference: string) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: { $ref: `${itemReference}#` } }, nextCursor: nullableString },
  } as const;
}

export const issuedTokenSchema = {
  type: 'object',
  properties: {
    secret: { type: 'string', description: 'the token itself; shown only in this response' },
    token: { $ref: 'Token#' },
    predecessor: { $ref: 'Token#' },
  },
} as const;

export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: maxPageSize },
  cursor: { type: 'string', maxLength: 300, pattern: noNulPattern },
} as const;

/** Paging and sorting parameters of a list that sorts by the given fields. */
export function sortedPageQuerySchema(fields: readonly SortField[]) {
  return {
    limit: pageQuerySchema.limit,
    cursor: { type: 'string', maxLength: sortedCursorMaxLength, pattern: noNulPattern },
    sort: {
      type: 'string',
      enum: fields.map((field) => field.name),
      description: 'the field to sort by, ties broken by id; rows without a value come last in either order',
    },
    order: { type: 'string', enum: ['asc', 'desc'], description: 'asc by default when sort is given; without sort it orders by id' },
  } as const;
}

export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 100, pattern: noNulPattern } },
} as const;

export const createKeyspaceBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'prefix'],
  properties: {
    name: keyspaceNameSchema,
    prefix: { type: 'string', pattern: prefixPattern.source, maxLength: 16 },
    description: { type: 'string', maxLength: 2000, pattern: noNulPattern },
    scopes: scopeListSchema,
    policy: policySchema,
  },
} as const;

export const createTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['keyspace', 'name'],
  properties: {
    keyspace: keyspaceNameSchema,
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: noNulPattern },
    owner: { type: 'string', minLength: 1, maxLength: 200, pattern: noNulPattern },
    description: { type: 'string', maxLength: 2000, pattern: noNulPattern },
    scopes: scopeListSchema,
    expiresAt: isoTime,
    expiresInSeconds: { type: 'integer', minimum: 1, maximum: 3650 * day },
    neverExpires: { type: 'boolean' },
    metadata: metadataSchema,
    adminKeyspaces: { type: 'array', items: keyspaceNameSchema, maxItems: 100 },
    limits: limitsSchema,
  },
} as const;

export const updateTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: noNulPattern },
    owner: { type: ['string', 'null'], minLength: 1, maxLength: 200, pattern: noNulPattern },
    description: { type: ['string', 'null'], maxLength: 2000, pattern: noNulPattern },
    metadata: metadataSchema,
    limits: { anyOf: [limitsSchema, { type: 'null' }], description: 'replaces the token limits; null returns the token to its keyspace policy limits' },
  },
} as const;

export const rotateBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 90 * day },
    expiresInSeconds: { type: 'integer', minimum: 1, maximum: 3650 * day },
  },
} as const;

export const reasonBodySchema = (required: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    ...(required && { required: ['reason'] }),
    properties: { reason: { type: 'string', minLength: 1, maxLength: 500, pattern: noNulPattern } },
  }) as const;

export const verifyBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: {
    token: { type: 'string', maxLength: 1024 },
    scopes: scopeListSchema,
    ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], maxLength: 45 },
  },
} as const;

export const verifyResultSchema = {
  type: 'object',
  required: ['valid', 'code'],
  properties: {
    valid: { type: 'boolean' },
    code: { type: 'string', enum: [...verifyCodes] },
    tokenId: { type: 'string' },
    keyspace: { type: 'string' },
    owner: nullableString,
    scopes: { type: 'array', items: { type: 'string' } },
    expiresAt: nullableIsoTime,
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    missingScopes: { type: 'array', items: { type: 'string' } },
    retryAfterSeconds: { type: 'integer', description: 'RATE_LIMITED, and QUOTA_EXCEEDED with a refill: seconds until a retry can succeed' },
  },
} as const;

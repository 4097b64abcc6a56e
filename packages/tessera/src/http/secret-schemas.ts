import { findingRules } from '../core/check-policy.js';
import { environmentPattern, maxValueBytes, providerPattern, secretNamePattern } from '../services/secrets.js';
import { noNulPattern } from './schemas.js';

// JSON schemas of the secrets, check and review routes. Response schemas are inline: Fastify
// serialises responses with them, so every field the API returns is listed.

const nullableString = { type: ['string', 'null'] } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableIsoTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const secretNameSchema = { type: 'string', pattern: secretNamePattern.source, maxLength: 128 } as const;
export const environmentSchema = { type: 'string', pattern: environmentPattern.source, maxLength: 63 } as const;
// The byte limit is checked by the service; a character is at most 4 bytes in UTF-8.
const valueSchema = { type: 'string', minLength: 1, maxLength: maxValueBytes, description: 'the secret value; never returned except by reveal' } as const;
const metadataProperties = {
  provider: { type: ['string', 'null'], pattern: providerPattern.source, maxLength: 63 },
  owner: { type: ['string', 'null'], minLength: 1, maxLength: 200, pattern: noNulPattern },
  description: { type: ['string', 'null'], maxLength: 2000, pattern: noNulPattern },
  tags: { type: 'array', items: { type: 'string', maxLength: 63 }, maxItems: 32 },
  expiresAt: { type: ['string', 'null'], maxLength: 40, description: 'ISO 8601 date or time; null when unknown' },
  rotationMethod: { type: ['string', 'null'], maxLength: 100, pattern: noNulPattern },
} as const;

export const secretSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    environment: { type: 'string' },
    provider: nullableString,
    owner: nullableString,
    description: nullableString,
    tags: { type: 'array', items: { type: 'string' } },
    expiresAt: nullableIsoTime,
    rotationMethod: nullableString,
    version: { type: 'integer' },
    createdAt: isoTime,
    updatedAt: isoTime,
    lastReadAt: nullableIsoTime,
    createdBy: nullableString,
  },
} as const;

export const secretDetailsSchema = {
  type: 'object',
  properties: {
    ...secretSchema.properties,
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { version: { type: 'integer' }, createdAt: isoTime, createdBy: nullableString, keyVersion: { type: 'integer' } },
      },
    },
  },
} as const;

const secretReferenceSchema = { type: 'object', properties: { name: { type: 'string' }, environment: { type: 'string' } } } as const;

export const storedSecretSchema = {
  type: 'object',
  properties: { secret: secretSchema, duplicates: { type: 'array', items: secretReferenceSchema, description: 'other secrets holding the same value' } },
} as const;

export const revealedSecretSchema = {
  type: 'object',
  properties: { secret: secretSchema, version: { type: 'integer' }, value: { type: 'string' } },
} as const;

export const createSecretBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'environment', 'value'],
  properties: { name: secretNameSchema, environment: environmentSchema, value: valueSchema, ...metadataProperties },
} as const;

export const updateSecretBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { value: valueSchema, ...metadataProperties },
} as const;

export const secretParamsSchema = {
  type: 'object',
  required: ['environment', 'name'],
  properties: { environment: environmentSchema, name: secretNameSchema },
} as const;

export const revealBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 1 },
    purpose: { type: 'string', maxLength: 100, pattern: noNulPattern },
  },
} as const;

export const revealEnvironmentBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['environment'],
  properties: { environment: environmentSchema, names: { type: 'array', items: secretNameSchema, maxItems: 500 } },
} as const;

export const importBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['environment', 'entries'],
  properties: {
    environment: environmentSchema,
    owner: metadataProperties.owner,
    description: metadataProperties.description,
    entries: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'value', 'line'],
        properties: { name: { type: 'string', maxLength: 200 }, value: { type: 'string', maxLength: maxValueBytes }, line: { type: 'integer', minimum: 1 } },
      },
    },
  },
} as const;

export const importResultSchema = {
  type: 'object',
  properties: {
    imported: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, name: { type: 'string' }, provider: nullableString } } },
    rejected: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, name: { type: 'string' }, message: { type: 'string' } } } },
    duplicates: { type: 'array', items: { type: 'array', items: secretReferenceSchema } },
  },
} as const;

export const checkQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    expiringWithinDays: { type: 'integer', minimum: 0, maximum: 36500 },
    staleAfterDays: { type: 'integer', minimum: 0, maximum: 36500 },
    maxLifetimeDays: { type: 'integer', minimum: 0, maximum: 36500 },
    failOn: { type: 'string', maxLength: 500, description: `comma-separated rules whose findings fail the run: ${findingRules.join(', ')}` },
  },
} as const;

export const reviewQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { members: { type: 'string', maxLength: 20000, pattern: noNulPattern, description: 'comma-separated current team members' } },
} as const;

// Reports are documented by their fields' descriptions in the README; they are returned as built.
export const reportSchema = { type: 'object', additionalProperties: true } as const;

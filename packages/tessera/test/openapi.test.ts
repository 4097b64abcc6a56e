import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { databaseTargets } from './support/databases.js';
import { startTestServer, type TestServer } from './support/fixtures.js';

const sqlite = databaseTargets.find((target) => target.name === 'sqlite')!;

// Every route of the API as "METHOD path" in OpenAPI's template syntax, and whether it takes an admin token.
const routes: [string, boolean][] = [
  ['post /v1/keyspaces', true],
  ['get /v1/keyspaces', true],
  ['get /v1/keyspaces/{name}', true],
  ['post /v1/tokens', true],
  ['get /v1/tokens', true],
  ['get /v1/tokens/summary', true],
  ['get /v1/me', true],
  ['get /v1/tokens/{id}', true],
  ['patch /v1/tokens/{id}', true],
  ['post /v1/tokens/{id}/rotate', true],
  ['post /v1/tokens/{id}/revoke', true],
  ['post /v1/tokens/{id}/disable', true],
  ['post /v1/tokens/{id}/enable', true],
  ['post /v1/tokens/self/rotate', true],
  ['post /v1/verify', true],
  ['post /v1/leaks', true],
  ['get /v1/audit', true],
  ['get /v1/audit/verify', true],
  ['get /v1/audit/export', true],
  ['get /v1/events', true],
  ['post /v1/secrets', true],
  ['get /v1/secrets', true],
  ['post /v1/secrets/import', true],
  ['post /v1/secrets/reveal', true],
  ['get /v1/secrets/{environment}/{name}', true],
  ['patch /v1/secrets/{environment}/{name}', true],
  ['delete /v1/secrets/{environment}/{name}', true],
  ['post /v1/secrets/{environment}/{name}/reveal', true],
  ['post /v1/secrets/{environment}/{name}/rotate', true],
  ['get /v1/secrets/{environment}/{name}/rotations', true],
  ['get /v1/secrets/{environment}/{name}/retirement', true],
  ['post /v1/secrets/{environment}/{name}/retirement/extend-grace', true],
  ['put /v1/secrets/{environment}/{name}/rotator', true],
  ['get /v1/check', true],
  ['get /v1/review', true],
  ['get /v1/usage/{id}', true],
  ['get /metrics', true],
  ['post /v1/policies', true],
  ['post /v1/policies/apply', true],
  ['get /v1/policies', true],
  ['get /v1/policies/{name}', true],
  ['put /v1/policies/{name}', true],
  ['delete /v1/policies/{name}', true],
  ['get /v1/keyspaces/{name}/policy', true],
  ['post /v1/webhooks', true],
  ['get /v1/webhooks', true],
  ['get /v1/webhooks/{id}', true],
  ['patch /v1/webhooks/{id}', true],
  ['delete /v1/webhooks/{id}', true],
  ['get /v1/webhooks/{id}/deliveries', true],
  ['post /v1/webhooks/{id}/deliveries/{deliveryId}/replay', true],
  ['get /v1/alerts', true],
  ['get /v1/alerts/{id}', true],
  ['post /v1/alerts/{id}/acknowledge', true],
  ['get /v1/tokens/{id}/retirement', true],
  ['post /v1/tokens/{id}/extend-grace', true],
  ['get /healthz', false],
  ['get /readyz', false],
];

describe('OpenAPI document', () => {
  let server: TestServer;
  let document: any;

  beforeAll(async () => {
    server = await startTestServer(sqlite, { name: 'openapi' });
    const response = await server.request('GET', '/openapi.json', { token: null });
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(async () => server?.stop());

  test('document is valid OpenAPI 3', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place, so it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
  });

  test('every route is described', () => {
    const described = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(described.sort()).toEqual(routes.map(([route]) => route).sort());
  });

  test('admin routes declare bearer auth', () => {
    for (const [route, secured] of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = document.paths[path][method];
      expect({ route, security: operation.security ?? null }).toEqual({ route, security: secured ? [{ bearerAuth: [] }] : null });
    }
  });

  test('shared shapes are named components', () => {
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Token', 'Keyspace', 'AuditEntry']));
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

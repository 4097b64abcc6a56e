import { afterAll, beforeAll, expect, test } from 'vitest';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';

describeEachDatabase('event outbox', (target) => {
  let server: TestServer;
  const plaintexts: string[] = [];

  async function issue(keyspace: string, name: string): Promise<string> {
    const issued = await server.request('POST', '/v1/tokens', { body: { keyspace, name, owner: 'payments-team', scopes: [] } });
    expect(issued.status).toBe(201);
    plaintexts.push(rememberSecret(issued.body.secret as string));
    return issued.body.token.id as string;
  }

  beforeAll(async () => {
    server = await startTestServer(target, { name: `events-${target.name}` });
    for (const [name, prefix] of [
      ['billing', 'bill'],
      ['search', 'srch'],
    ]) {
      expect((await server.request('POST', '/v1/keyspaces', { body: { name, prefix } })).status).toBe(201);
    }
  });
  afterAll(async () => server?.stop());

  test('each change writes one event, in order, with the subject and no token', async () => {
    const start = await server.request('GET', '/v1/events?limit=500');
    const cursor = start.body.nextCursor as string;

    const id = await issue('billing', 'invoice-sync');
    const rotated = await server.request('POST', `/v1/tokens/${id}/rotate`, { body: { gracePeriodSeconds: 60 } });
    plaintexts.push(rememberSecret(rotated.body.secret as string));
    const successorId = rotated.body.token.id as string;
    await server.request('POST', `/v1/tokens/${successorId}/disable`, { body: { reason: 'investigating' } });
    await server.request('POST', `/v1/tokens/${successorId}/enable`, { body: {} });
    await server.request('POST', `/v1/tokens/${successorId}/revoke`, { body: { reason: 'no longer needed' } });

    const page = await server.request('GET', `/v1/events?cursor=${cursor}`);
    expect(page.status).toBe(200);
    const events = page.body.items as { seq: number; type: string; subject: { id: string }; keyspace: string; data: Record<string, unknown> }[];
    expect(events.map((event) => [event.type, event.subject.id])).toEqual([
      ['token.created', id],
      ['token.rotated', id],
      ['token.disabled', successorId],
      ['token.active', successorId],
      ['token.revoked', successorId],
    ]);
    expect(events.every((event) => event.keyspace === 'billing')).toBe(true);
    expect(events[1]?.data).toMatchObject({ successorId, gracePeriodSeconds: 60 });
    expect(events[4]?.data).toMatchObject({ reason: 'no longer needed' });

    const seqs = events.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const text = JSON.stringify(page.body);
    for (const plaintext of plaintexts) expect(text).not.toContain(plaintext);
  });

  test('a change that fails writes no event', async () => {
    const id = await issue('billing', 'one-off');
    await server.request('POST', `/v1/tokens/${id}/revoke`, { body: { reason: 'done' } });
    const before = await server.request('GET', `/v1/events?subjectId=${id}`);

    const again = await server.request('POST', `/v1/tokens/${id}/revoke`, { body: { reason: 'twice' } });
    expect(again.status).toBe(409);

    const after = await server.request('GET', `/v1/events?subjectId=${id}`);
    expect(after.body.items).toEqual(before.body.items);
    expect((after.body.items as { type: string }[]).map((event) => event.type)).toEqual(['token.created', 'token.revoked']);
  });

  test('a reader keeps its cursor and then sees only newer events', async () => {
    const first = await server.request('GET', '/v1/events?limit=500&type=token.created');
    const cursor = first.body.nextCursor as string;
    expect((await server.request('GET', `/v1/events?cursor=${cursor}&type=token.created`)).body.items).toEqual([]);

    const id = await issue('search', 'indexer');
    const next = await server.request('GET', `/v1/events?cursor=${cursor}&type=token.created`);
    expect((next.body.items as { subject: { id: string } }[]).map((event) => event.subject.id)).toEqual([id]);
    expect(next.body.nextCursor).not.toBe(cursor);
  });

  test('a token limited to a keyspace reads only that keyspace’s events', async () => {
    const limited = await server.request('POST', '/v1/tokens', {
      body: { keyspace: 'admin', name: 'billing auditor', scopes: ['audit:read'], adminKeyspaces: ['billing'] },
    });
    const token = rememberSecret(limited.body.secret as string);
    await issue('search', 'crawler');

    const page = await server.request('GET', '/v1/events?limit=500', { token });
    expect(page.status).toBe(200);
    const keyspaces = new Set((page.body.items as { keyspace: string }[]).map((event) => event.keyspace));
    expect([...keyspaces]).toEqual(['billing']);
  });

  test('reading events needs audit:read', async () => {
    const reader = await server.request('POST', '/v1/tokens', { body: { keyspace: 'admin', name: 'token reader', scopes: ['tokens:read'] } });
    const response = await server.request('GET', '/v1/events', { token: rememberSecret(reader.body.secret as string) });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain('audit:read');
  });

  test('foreign cursor is a 400', async () => {
    const response = await server.request('GET', `/v1/events?cursor=${Buffer.from('1e21').toString('base64url')}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
  });
});

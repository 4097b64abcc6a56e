import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifyWebhookSignature } from '../src/core/webhook-signature.js';
import { defaultDeliveryOptions } from '../src/services/webhook-dispatch.js';
import { rememberSecret } from './support/artifacts.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, startTestServer, type TestServer } from './support/fixtures.js';
import { WebhookReceiver, type ReceivedDelivery } from './support/webhook-receiver.js';

const deliveryTimeoutMilliseconds = 3000;

describeEachDatabase('webhook delivery', (target) => {
  const clock = new FakeClock();
  const receiver = new WebhookReceiver(() => clock.now());
  const chat = new WebhookReceiver(() => clock.now());
  let server: TestServer;
  let webhook: any;
  let secret = '';
  const tokenIds: string[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await server.request(method, path, body === undefined ? {} : { body });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    return response.body;
  }

  /** Moves the fake clock on and runs the due jobs, as the scheduler's timers would. */
  async function dispatch(advanceMilliseconds = 5000): Promise<void> {
    clock.advance(advanceMilliseconds);
    await server.scheduler!.runDueJobs();
  }

  async function issueToken(name: string): Promise<string> {
    const issued = await call('POST', '/v1/tokens', { keyspace: 'orders', name, scopes: ['orders:read'], expiresInSeconds: 30 * 86400 });
    rememberSecret(issued.secret);
    tokenIds.push(issued.token.id);
    return issued.secret;
  }

  function signatureIsValid(delivery: ReceivedDelivery): boolean {
    return verifyWebhookSignature(secret, delivery, delivery.body, delivery.receivedAt);
  }

  beforeAll(async () => {
    server = await startTestServer(target, {
      clock,
      name: 'webhook-delivery',
      scheduler: { delivery: { ...defaultDeliveryOptions, timeoutMilliseconds: deliveryTimeoutMilliseconds } },
    });
    await receiver.start();
    await chat.start();
    await call('POST', '/v1/keyspaces', { name: 'orders', prefix: 'ord', scopes: ['orders:read'] });
    webhook = await call('POST', '/v1/webhooks', { name: 'ops', url: receiver.url, eventTypes: ['token.*'] });
    secret = rememberSecret(webhook.secret);
    await call('POST', '/v1/webhooks', { name: 'chat', url: chat.url, format: 'slack', eventTypes: ['token.created'] });
  });

  afterAll(async () => {
    await server?.stop();
    await receiver.stop();
    await chat.stop();
  });

  test('create returns whsec secret once', async () => {
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const fetched = await call('GET', `/v1/webhooks/${webhook.id}`);
    expect(fetched.secret).toBeUndefined();
    const listed = await call('GET', '/v1/webhooks');
    expect(JSON.stringify(listed)).not.toContain(secret.slice(6));
    const audit = await call('GET', '/v1/audit?limit=500');
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));
  });

  test('receiver gets signed events', async () => {
    await issueToken('first');
    await dispatch();

    expect(receiver.received).toHaveLength(1);
    const delivery = receiver.received[0]!;
    expect(signatureIsValid(delivery)).toBe(true);
    const body = JSON.parse(delivery.body);
    expect(body.type).toBe('token.created');
    expect(body.data.id).toBe(delivery.id);
    expect(body.data.subject.id).toBe(tokenIds[0]);
    expect(signatureIsValid({ ...delivery, body: delivery.body.replace('first', 'forged') })).toBe(false);
  });

  test('slack format sends a text message', async () => {
    expect(chat.received).toHaveLength(1);
    const message = JSON.parse(chat.received[0]!.body);
    expect(message.text).toContain("token 'first'");
    expect(message.text).toContain('token.created');
    expect(message.blocks[0].text.text).toBe(message.text);
  });

  test('receiver that is down gets each event once', async () => {
    const port = receiver.port;
    await receiver.stop();
    await issueToken('second');
    await issueToken('third');

    await dispatch();
    for (let retry = 0; retry < 3; retry += 1) await dispatch(3_600_000);
    const pending = await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=pending`);
    expect(pending.items).toHaveLength(2);
    for (const delivery of pending.items) {
      expect(delivery.attempts).toBe(4);
      expect(delivery.lastError).toMatch(/request failed/);
    }

    await receiver.start(port);
    await dispatch(3_600_000);
    await dispatch(3_600_000);

    const ids = receiver.received.map((delivery) => delivery.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const delivery of receiver.received) expect(signatureIsValid(delivery)).toBe(true);
    const delivered = await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=delivered`);
    expect(delivered.items).toHaveLength(3);
    expect(delivered.items.map((delivery: any) => delivery.lastStatusCode)).toEqual([204, 204, 204]);
  });

  test('error answers are retried', async () => {
    receiver.mode = 'error';
    await issueToken('fourth');
    await dispatch();
    const [failedOnce] = (await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=pending`)).items;
    expect(failedOnce.lastStatusCode).toBe(500);
    expect(failedOnce.attempts).toBe(1);

    receiver.mode = 'ok';
    await dispatch(3_600_000);
    const ids = receiver.received.map((delivery) => delivery.id);
    expect(ids.filter((id) => id === failedOnce.eventId)).toHaveLength(2);
    expect((await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=pending`)).items).toHaveLength(0);
  });

  test('replay sends the same webhook-id again', async () => {
    const [latest] = (await call('GET', `/v1/webhooks/${webhook.id}/deliveries?limit=1`)).items;
    const before = receiver.received.length;
    const replayed = await call('POST', `/v1/webhooks/${webhook.id}/deliveries/${latest.id}/replay`);
    expect(replayed.status).toBe('pending');
    await dispatch();

    expect(receiver.received).toHaveLength(before + 1);
    expect(receiver.received.at(-1)!.id).toBe(latest.eventId);
    expect(signatureIsValid(receiver.received.at(-1)!)).toBe(true);
  });

  test('slow receiver does not hold up verification', async () => {
    receiver.mode = 'hold';
    const secretToCheck = await issueToken('fifth');
    clock.advance(5000);
    const running = server.scheduler!.runDueJobs();
    while (receiver.heldCount === 0) await sleep(10);

    const results = await Promise.all(Array.from({ length: 50 }, () => call('POST', '/v1/verify', { token: secretToCheck })));
    expect(results.every((result) => result.code === 'VALID')).toBe(true);
    // The delivery is still waiting for its response: its attempt has not been recorded.
    expect(receiver.heldCount).toBe(1);
    const inFlight = await server.tessera.context.db.selectFrom('webhook_deliveries').selectAll().where('status', '=', 'pending').execute();
    expect(inFlight.map((row) => row.attempts)).toEqual([0]);

    receiver.release();
    await running;
    expect((await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=pending`)).items).toHaveLength(0);
  });

  test('hanging receiver times out and is retried', async () => {
    receiver.mode = 'hold';
    await issueToken('sixth');
    await dispatch();
    const [timedOut] = (await call('GET', `/v1/webhooks/${webhook.id}/deliveries?status=pending`)).items;
    expect(timedOut.attempts).toBe(1);
    expect(timedOut.lastError).toBe(`timed out after ${deliveryTimeoutMilliseconds} ms`);
    receiver.release();
  });

  test('invalid webhook input gets 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', url: 'ftp://127.0.0.1/hook' }, 'url'],
      [{ name: 'y', url: 'not a url' }, 'url'],
      [{ name: 'z', url: receiver.url, eventTypes: ['token..x'] }, 'eventTypes'],
      [{ name: 'Bad Name', url: receiver.url }, 'name'],
      [{ name: 'w', url: receiver.url, format: 'teams' }, 'format'],
      [{ name: 'v', url: 'http://user:pass@127.0.0.1/hook' }, 'url'],
    ];
    for (const [body, field] of cases) {
      const response = await server.request('POST', '/v1/webhooks', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message).toContain(field);
    }
    const duplicate = await server.request('POST', '/v1/webhooks', { body: { name: 'ops', url: receiver.url } });
    expect(duplicate.status).toBe(409);
  });

  test('logs never contain the signing secret', () => {
    const logs = server.logLines().join('\n');
    expect(logs).toContain('webhook delivery failed');
    expect(logs).not.toContain(secret.slice(6));
  });
});

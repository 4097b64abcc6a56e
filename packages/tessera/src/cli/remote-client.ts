import { TesseraError, type ErrorCode } from '../core/errors.js';
import type { AuditVerification } from '../services/audit-log.js';
import type { AuditEntry } from '../services/views.js';
import type { RevealedSecret } from '../services/secret-reveal.js';
import type { TesseraClient } from './client.js';

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** Calls a Tessera server's HTTP API with an admin token. */
export function createRemoteClient(baseUrl: string, adminToken: string): TesseraClient {
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new TesseraError('VALIDATION_FAILED', `--url: '${baseUrl}' has no scheme; use e.g. http://127.0.0.1:8470`, { field: 'url' });
  }
  const root = baseUrl.replace(/\/+$/, '');

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${root}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new TesseraError('UNAVAILABLE', `cannot reach the Tessera server at ${root}; check --url and that the server is running`, { cause: error });
    }
  }

  async function errorFrom(response: Response): Promise<TesseraError> {
    if (response.status === 401) {
      return new TesseraError('UNAUTHENTICATED', `authentication failed at ${root}: TESSERA_TOKEN is not an active admin token; set it to a valid one`);
    }
    const payload = (await response.json().catch(() => ({}))) as ErrorBody;
    const code = (payload.error?.code ?? 'INTERNAL') as ErrorCode;
    return new TesseraError(code, payload.error?.message ?? `the server returned ${response.status} without an error body`);
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, body);
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }

  function secretPath(environment: string, name: string): string {
    return `/v1/secrets/${encodeURIComponent(environment)}/${encodeURIComponent(name)}`;
  }

  /** Calls a route that returns 204 with no body, such as a delete. */
  async function callWithoutBody(method: string, path: string): Promise<void> {
    const response = await send(method, path);
    if (!response.ok) throw await errorFrom(response);
  }

  function query(parameters: Record<string, string | number | undefined>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(parameters)) if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return text ? `?${text}` : '';
  }

  return {
    createKeyspace: (input) => call('POST', '/v1/keyspaces', input),
    listKeyspaces: (parameters) => call('GET', `/v1/keyspaces${query(parameters)}`),
    issueToken: (input) => call('POST', '/v1/tokens', input),
    listTokens: (parameters) => call('GET', `/v1/tokens${query({ ...parameters })}`),
    getToken: (id) => call('GET', `/v1/tokens/${encodeURIComponent(id)}`),
    rotateToken: (id, input) => call('POST', `/v1/tokens/${encodeURIComponent(id)}/rotate`, input),
    changeTokenState: (id, change, reason) => call('POST', `/v1/tokens/${encodeURIComponent(id)}/${change}`, reason === null ? {} : { reason }),
    verifyToken: (request) => call('POST', '/v1/verify', request),
    setTokenLimits: (id, limits) => call('PATCH', `/v1/tokens/${encodeURIComponent(id)}`, { limits }),
    getUsage: (id, query) => {
      const parameters = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
      return call('GET', `/v1/usage/${encodeURIComponent(id)}?${parameters.toString()}`);
    },
    verifyAudit: () => call<AuditVerification>('GET', '/v1/audit/verify'),
    reportLeak: (input) => call('POST', '/v1/leaks', input),
    async *exportAudit(): AsyncIterable<AuditEntry> {
      const response = await send('GET', '/v1/audit/export');
      if (!response.ok) throw await errorFrom(response);
      yield* readJsonLines<AuditEntry>(response);
    },
    createSecret: (input) => call('POST', '/v1/secrets', input),
    listSecrets: (parameters) => call('GET', `/v1/secrets${query({ ...parameters })}`),
    getSecret: (environment, name) => call('GET', secretPath(environment, name)),
    updateSecret: (environment, name, input) => call('PATCH', secretPath(environment, name), input),
    removeSecret: (environment, name) => call('DELETE', secretPath(environment, name)),
    revealSecret: (environment, name, options) => call('POST', `${secretPath(environment, name)}/reveal`, options),
    revealEnvironment: async (environment, names) =>
      (await call<{ secrets: RevealedSecret[] }>('POST', '/v1/secrets/reveal', { environment, ...(names.length > 0 && { names }) })).secrets,
    importSecrets: (input) => call('POST', '/v1/secrets/import', input),
    setRotator: (environment, name, input) => call('PUT', `${secretPath(environment, name)}/rotator`, input),
    rotateSecret: (environment, name) => call('POST', `${secretPath(environment, name)}/rotate`),
    listSecretRotations: (environment, name, parameters) => call('GET', `${secretPath(environment, name)}/rotations${query({ ...parameters })}`),
    getSecretRetirement: (environment, name) => call('GET', `${secretPath(environment, name)}/retirement`),
    extendSecretGrace: (environment, name, extendBySeconds) => call('POST', `${secretPath(environment, name)}/retirement/extend-grace`, { extendBySeconds }),
    runCheck: (policy) => call('GET', `/v1/check${query({ ...policy, failOn: policy.failOn.join(',') })}`),
    runReview: (members) => call('GET', `/v1/review${query({ members: members?.join(',') })}`),
    listPolicies: () => call('GET', '/v1/policies'),
    getPolicy: (name) => call('GET', `/v1/policies/${encodeURIComponent(name)}`),
    applyPolicies: (policies) => call('POST', '/v1/policies/apply', { policies }),
    deletePolicy: (name) => callWithoutBody('DELETE', `/v1/policies/${encodeURIComponent(name)}`),
    getEffectivePolicy: (keyspace) => call('GET', `/v1/keyspaces/${encodeURIComponent(keyspace)}/policy`),
    createWebhook: (input) => call('POST', '/v1/webhooks', input),
    listWebhooks: () => call('GET', '/v1/webhooks'),
    updateWebhook: (id, input) => call('PATCH', `/v1/webhooks/${encodeURIComponent(id)}`, input),
    deleteWebhook: (id) => callWithoutBody('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`),
    listWebhookDeliveries: (id, parameters) => call('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries${query({ ...parameters })}`),
    replayDelivery: (id, deliveryId) => call('POST', `/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/replay`, {}),
    listAlerts: (parameters) => call('GET', `/v1/alerts${query({ ...parameters })}`),
    acknowledgeAlert: (id) => call('POST', `/v1/alerts/${encodeURIComponent(id)}/acknowledge`, {}),
    getRetirementReport: (id) => call('GET', `/v1/tokens/${encodeURIComponent(id)}/retirement`),
    extendGracePeriod: (id, extendBySeconds) => call('POST', `/v1/tokens/${encodeURIComponent(id)}/extend-grace`, { extendBySeconds }),
    close: async () => {},
  };
}

/** Parses a JSON Lines response one line at a time, so a long export never sits in memory whole. */
async function* readJsonLines<T>(response: Response): AsyncGenerator<T> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered.trim()) yield JSON.parse(buffered) as T;
}

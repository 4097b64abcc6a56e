import type { AuditEntry, AuditVerification, Caller, IssuedToken, Keyspace, Page, RotatedToken, Token, TokenSummary } from './types.js';

/** An error response of the API, `{ error: { code, message, field } }`, or a failure to reach it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query: Query = {}): string {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') parameters.set(key, String(value));
  }
  const text = parameters.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A client of the public HTTP API for one signed-in admin token. The token lives only in this
 * object's closure, in memory: never in storage, a cookie or a URL, so a reload signs out.
 */
export interface ApiClient {
  me(): Promise<Caller>;
  summariseTokens(): Promise<TokenSummary>;
  listTokens(query: {
    keyspace?: string;
    owner?: string;
    state?: string;
    search?: string;
    expiringWithinDays?: number;
    limit?: number;
    cursor?: string;
  }): Promise<Page<Token>>;
  getToken(id: string): Promise<Token>;
  createToken(body: { keyspace: string; name: string; owner?: string; scopes: string[]; expiresInSeconds?: number }): Promise<IssuedToken>;
  rotateToken(id: string, body: { gracePeriodSeconds?: number }): Promise<RotatedToken>;
  changeTokenState(id: string, change: 'revoke' | 'disable' | 'enable', reason?: string): Promise<Token>;
  listKeyspaces(): Promise<Page<Keyspace>>;
  getKeyspace(name: string): Promise<Keyspace>;
  listAudit(query: {
    action?: string;
    targetId?: string;
    actorId?: string;
    order?: 'asc' | 'desc';
    limit?: number;
    cursor?: string;
  }): Promise<Page<AuditEntry>>;
  verifyAudit(): Promise<AuditVerification>;
}

export function createApiClient(adminToken: string, baseUrl = ''): ApiClient {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      // No cookies are sent or stored: the bearer header is the only credential.
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'UNREACHABLE', `the Tessera server did not respond (${(error as Error).message}); check that it is running`);
    }

    const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string } } | null;
    if (!response.ok) {
      const error = payload?.error;
      throw new ApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `the server returned HTTP ${response.status}`, error?.field ?? null);
    }
    return payload as T;
  }

  const path = encodeURIComponent;
  return {
    me: () => request('GET', '/v1/me'),
    summariseTokens: () => request('GET', '/v1/tokens/summary'),
    listTokens: (query) => request('GET', withQuery('/v1/tokens', query)),
    getToken: (id) => request('GET', `/v1/tokens/${path(id)}`),
    createToken: (body) => request('POST', '/v1/tokens', body),
    rotateToken: (id, body) => request('POST', `/v1/tokens/${path(id)}/rotate`, body),
    changeTokenState: (id, change, reason) => request('POST', `/v1/tokens/${path(id)}/${change}`, reason ? { reason } : {}),
    listKeyspaces: () => request('GET', withQuery('/v1/keyspaces', { limit: 500 })),
    getKeyspace: (name) => request('GET', `/v1/keyspaces/${path(name)}`),
    listAudit: (query) => request('GET', withQuery('/v1/audit', query)),
    verifyAudit: () => request('GET', '/v1/audit/verify'),
  };
}

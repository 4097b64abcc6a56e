import type {
  Alert,
  AlertStatus,
  AuditEntry,
  AuditVerification,
  Caller,
  IssuedToken,
  Keyspace,
  Page,
  RevealedSecret,
  ReviewReport,
  RotatedToken,
  RotationHistory,
  Secret,
  SecretDetails,
  SecretRetirementReport,
  StoredSecret,
  TesseraEvent,
  Token,
  TokenSummary,
  TokenUsage,
  UsageStep,
} from './types.js';

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

/** Wraps anything thrown by an API call as an ApiError, so pages show one kind of notice. */
export function toApiError(failure: unknown): ApiError {
  return failure instanceof ApiError ? failure : new ApiError(0, 'CLIENT_ERROR', String(failure));
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
    /** Text found, ignoring case, in the name, owner, description, hint or id. */
    q?: string;
    expiringWithinDays?: number;
    sort?: TokenSortField;
    order?: 'asc' | 'desc';
    limit?: number;
    cursor?: string;
  }): Promise<Page<Token>>;
  getToken(id: string): Promise<Token>;
  createToken(body: {
    keyspace: string;
    name: string;
    owner?: string;
    description?: string;
    scopes: string[];
    expiresInSeconds?: number;
  }): Promise<IssuedToken>;
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
  listSecrets(query: {
    environment?: string;
    owner?: string;
    provider?: string;
    /** Text found, ignoring case, in the name, owner, provider, description or a tag. */
    q?: string;
    sort?: SecretSortField;
    order?: 'asc' | 'desc';
    limit?: number;
    cursor?: string;
  }): Promise<Page<Secret>>;
  getSecret(environment: string, name: string): Promise<SecretDetails>;
  createSecret(body: SecretInput & { name: string; environment: string; value: string }): Promise<StoredSecret>;
  updateSecret(environment: string, name: string, body: SecretInput & { value?: string }): Promise<StoredSecret>;
  removeSecret(environment: string, name: string): Promise<Secret>;
  /** Returns the current value. The server writes a `secret.reveal` audit entry before it returns the value. */
  revealSecret(environment: string, name: string, purpose: string): Promise<RevealedSecret>;
  /** Lists a secret's rotations newest first, with its rotator, next due time and last outcome. */
  listSecretRotations(environment: string, name: string, query: { limit?: number; cursor?: string }): Promise<RotationHistory>;
  /** Reports whether the value the latest rotation replaced is still read; the server returns 409 when no rotation has completed. */
  getSecretRetirement(environment: string, name: string): Promise<SecretRetirementReport>;
  extendSecretGrace(environment: string, name: string, extendBySeconds: number): Promise<SecretRetirementReport>;
  /** Reads the event outbox oldest first, after `cursor`. */
  listEvents(query: { cursor?: string; limit?: number; type?: string; subjectId?: string }): Promise<Page<TesseraEvent>>;
  /** Lists alerts newest first; the server returns open ones when `status` is left out. */
  listAlerts(query: { status?: AlertStatus | 'all'; type?: string; limit?: number; cursor?: string }): Promise<Page<Alert>>;
  acknowledgeAlert(id: string): Promise<Alert>;
  /** Returns a token's verifications in buckets of `step`; the server writes its pending usage first. */
  getUsage(tokenId: string, query: { step: UsageStep; from?: string; to?: string }): Promise<TokenUsage>;
  /** `members` null leaves the list out, so only items without an owner count as orphaned. */
  runReview(members: readonly string[] | null): Promise<ReviewReport>;
}

/** The fields GET /v1/tokens sorts by; without one it lists newest first. */
export type TokenSortField = 'name' | 'owner' | 'createdAt' | 'expiresAt' | 'lastUsedAt';

/** The fields GET /v1/secrets sorts by; without one it lists oldest first. */
export type SecretSortField = 'name' | 'expiresAt' | 'updatedAt';

/** The metadata fields of a secret that create and update accept; null clears a field. */
export interface SecretInput {
  provider?: string | null;
  owner?: string | null;
  description?: string | null;
  tags?: string[];
  expiresAt?: string | null;
  rotationMethod?: string | null;
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
    listSecrets: (query) => request('GET', withQuery('/v1/secrets', query)),
    getSecret: (environment, name) => request('GET', `/v1/secrets/${path(environment)}/${path(name)}`),
    // Values travel only in request and response bodies, never in a URL.
    createSecret: (body) => request('POST', '/v1/secrets', body),
    updateSecret: (environment, name, body) => request('PATCH', `/v1/secrets/${path(environment)}/${path(name)}`, body),
    removeSecret: (environment, name) => request('DELETE', `/v1/secrets/${path(environment)}/${path(name)}`),
    revealSecret: (environment, name, purpose) => request('POST', `/v1/secrets/${path(environment)}/${path(name)}/reveal`, { purpose }),
    listSecretRotations: (environment, name, query) => request('GET', withQuery(`/v1/secrets/${path(environment)}/${path(name)}/rotations`, query)),
    getSecretRetirement: (environment, name) => request('GET', `/v1/secrets/${path(environment)}/${path(name)}/retirement`),
    extendSecretGrace: (environment, name, extendBySeconds) =>
      request('POST', `/v1/secrets/${path(environment)}/${path(name)}/retirement/extend-grace`, { extendBySeconds }),
    listEvents: (query) => request('GET', withQuery('/v1/events', query)),
    listAlerts: (query) => request('GET', withQuery('/v1/alerts', query)),
    acknowledgeAlert: (id) => request('POST', `/v1/alerts/${path(id)}/acknowledge`, {}),
    getUsage: (tokenId, query) => request('GET', withQuery(`/v1/usage/${path(tokenId)}`, query)),
    runReview: (members) => request('GET', withQuery('/v1/review', { members: members === null ? undefined : members.join(',') })),
  };
}

/** A permission string `resource:action`, e.g. `invoices:read`. */
export const scopePattern = /^[a-z][a-z0-9_-]{0,31}:[a-z*][a-z0-9_*-]{0,31}$/;
export const maxScopes = 64;

/** Scopes of admin tokens; `admin` grants every other one and the management of admin tokens. */
export const adminScopes = [
  'admin',
  'keyspaces:read',
  'keyspaces:write',
  'tokens:read',
  'tokens:write',
  'tokens:verify',
  'audit:read',
  'leaks:report',
  'secrets:read',
  'secrets:write',
  'secrets:reveal',
  'check:read',
  'review:read',
  'usage:read',
  'metrics:read',
  'policies:read',
  'policies:write',
  'webhooks:read',
  'webhooks:write',
  'alerts:read',
  'alerts:write',
] as const;

export type AdminScope = (typeof adminScopes)[number];

export function isAdminScope(scope: string): scope is AdminScope {
  return (adminScopes as readonly string[]).includes(scope);
}

/** Required scopes that `granted` does not cover; a granted `resource:*` covers every action on it. */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !granted.includes(scope) && !granted.includes(`${scope.slice(0, scope.indexOf(':'))}:*`));
}

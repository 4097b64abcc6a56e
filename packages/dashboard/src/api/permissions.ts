import type { Caller } from './types.js';

export type AdminScope =
  | 'keyspaces:read'
  | 'keyspaces:write'
  | 'tokens:read'
  | 'tokens:write'
  | 'tokens:verify'
  | 'audit:read'
  | 'secrets:read'
  | 'secrets:write'
  | 'secrets:reveal'
  | 'review:read'
  | 'alerts:read'
  | 'alerts:write'
  | 'usage:read';

/** Returns whether the caller has the scope, by the server's rule that `admin` grants every scope. The server still decides, so this only disables what it would reject. */
export function hasScope(caller: Caller, scope: AdminScope): boolean {
  return caller.scopes.includes('admin') || caller.scopes.includes(scope);
}

/** Explains a disabled action the way the API's 403 would. */
export function missingScopeMessage(scope: AdminScope): string {
  return `This admin token lacks the '${scope}' scope, so the API would answer 403 Forbidden. Sign in with a token that has it.`;
}

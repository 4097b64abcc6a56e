import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client.js';
import type { Caller } from './api/types.js';

/** The signed-in admin token's API client and description, kept in React state only. */
export interface Session {
  api: ApiClient;
  caller: Caller;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession is used outside a signed-in SessionContext');
  return session;
}

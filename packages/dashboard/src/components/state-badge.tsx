import type { TokenState } from '../api/types.js';

export function StateBadge({ state }: { state: TokenState }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

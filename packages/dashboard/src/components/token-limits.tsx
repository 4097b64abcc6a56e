import type { TokenLimits } from '../api/types.js';
import { describeSeconds } from '../format.js';

type Source = 'token' | 'keyspace policy';

interface TokenLimitsListProps {
  /** The token's own limits. */
  limits: TokenLimits | null | undefined;
  /** The keyspace policy's limits, or null when the keyspace could not be read. */
  keyspaceLimits: TokenLimits | null;
}

/** Picks the token's value of a field, else the keyspace policy's, as the server merges them. */
function pick<K extends keyof TokenLimits>(field: K, own: TokenLimits, keyspace: TokenLimits | null): { value: TokenLimits[K]; source: Source } | null {
  if (own[field] !== undefined) return { value: own[field], source: 'token' };
  if (keyspace?.[field] !== undefined) return { value: keyspace[field], source: 'keyspace policy' };
  return null;
}

function SourceNote({ source }: { source: Source }) {
  return <span className="muted"> (from the {source})</span>;
}

/**
 * Lists the rate limits, quota and allowlist that apply to the token. Each field the token sets
 * replaces the keyspace policy's; the source of each is named.
 */
export function TokenLimitsList({ limits, keyspaceLimits }: TokenLimitsListProps) {
  const own = limits ?? {};
  const rateLimits = pick('rateLimits', own, keyspaceLimits);
  const quota = pick('quota', own, keyspaceLimits);
  const allowedNetworks = pick('allowedNetworks', own, keyspaceLimits);
  const none = keyspaceLimits === null ? 'none of its own; the keyspace policy needs the keyspaces:read scope to show' : 'none';

  return (
    <dl className="facts" data-testid="token-limits">
      <dt>Rate limits</dt>
      <dd>
        {rateLimits && rateLimits.value && rateLimits.value.length > 0 ? (
          <>
            {rateLimits.value.map((rateLimit) => `${rateLimit.limit} per ${describeSeconds(rateLimit.windowSeconds)}`).join(', ')}
            <SourceNote source={rateLimits.source} />
          </>
        ) : (
          none
        )}
      </dd>
      <dt>Quota</dt>
      <dd>
        {quota && quota.value ? (
          <>
            {quota.value.uses} uses
            {quota.value.refillSeconds ? `, refilled every ${describeSeconds(quota.value.refillSeconds)}` : ' in all, never refilled'}
            <SourceNote source={quota.source} />
          </>
        ) : (
          none
        )}
      </dd>
      <dt>Allowed networks</dt>
      <dd>
        {allowedNetworks && allowedNetworks.value && allowedNetworks.value.length > 0 ? (
          <>
            <ul className="chips">
              {allowedNetworks.value.map((network) => (
                <li key={network}>
                  <code>{network}</code>
                </li>
              ))}
            </ul>
            <SourceNote source={allowedNetworks.source} />
          </>
        ) : (
          `${none}: any address`
        )}
      </dd>
    </dl>
  );
}

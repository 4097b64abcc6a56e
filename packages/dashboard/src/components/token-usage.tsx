import { useState } from 'react';
import { hasScope, missingScopeMessage } from '../api/permissions.js';
import type { TokenUsage, UsageStep } from '../api/types.js';
import { formatTime } from '../format.js';
import { useSession } from '../session.js';
import { usePolling } from '../use-polling.js';
import { ApiErrorNotice } from './api-error-notice.js';
import { UsageChart } from './usage-chart.js';

// With no range given the server returns the last hour by minute, the last day by hour or the last 30 days by day.
const stepRanges: Record<UsageStep, string> = { minute: 'last hour', hour: 'last 24 hours', day: 'last 30 days' };

/** Sums each source network's verifications over the range, busiest first. */
export function networksSeen(usage: TokenUsage): [string, number][] {
  const totals = new Map<string, number>();
  for (const bucket of usage.buckets) {
    for (const [network, count] of Object.entries(bucket.networks)) totals.set(network, (totals.get(network) ?? 0) + count);
  }
  return [...totals].sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]));
}

/** Renders a token's usage chart with a step selector, and the networks it was verified from. */
export function TokenUsageSection({ tokenId }: { tokenId: string }) {
  const { api, caller } = useSession();
  const [step, setStep] = useState<UsageStep>('hour');
  const canRead = hasScope(caller, 'usage:read');
  const usage = usePolling(() => (canRead ? api.getUsage(tokenId, { step }) : Promise.resolve(null)), [api, canRead, tokenId, step]);

  if (!canRead) return <p className="notice">{missingScopeMessage('usage:read')}</p>;
  const networks = usage.data ? networksSeen(usage.data) : [];
  return (
    <div data-loaded={usage.data ? 'usage' : undefined}>
      <label className="inline-field">
        Step{' '}
        <select value={step} onChange={(event) => setStep(event.target.value as UsageStep)}>
          {(Object.keys(stepRanges) as UsageStep[]).map((option) => (
            <option key={option} value={option}>
              {option} ({stepRanges[option]})
            </option>
          ))}
        </select>
      </label>
      {usage.error && <ApiErrorNotice error={usage.error} action="Loading the usage" />}
      {!usage.data && !usage.error && <p role="status">Loading…</p>}
      {usage.data && (
        <>
          <UsageChart usage={usage.data} />
          <h3>Networks seen</h3>
          <p className="muted">
            Last used {formatTime(usage.data.lastUsedAt)}
            {usage.data.lastUsedIp && (
              <>
                {' '}
                from <code>{usage.data.lastUsedIp}</code>
              </>
            )}
            . Networks are /24 for IPv4 and /48 for IPv6, as the verifying service reported the address.
          </p>
          {networks.length === 0 ? (
            <p>No verification in this range.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="network-table">
                <thead>
                  <tr>
                    <th scope="col">Network</th>
                    <th scope="col">Verifications</th>
                  </tr>
                </thead>
                <tbody>
                  {networks.map(([network, count]) => (
                    <tr key={network}>
                      <td>
                        <code>{network}</code>
                      </td>
                      <td>{count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}

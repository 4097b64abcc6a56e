import { ChartAxis } from './chart-axis.js';
import { verifyCodes, type TokenUsage } from '../api/types.js';

const width = 720;
const height = 200;
const padding = { top: 12, right: 8, bottom: 28, left: 40 };
// The server's order of result codes, so a code keeps its colour from bucket to bucket.
const knownCodes: readonly string[] = verifyCodes;
const labelCount = 6;

/** Returns the codes present in the buckets, known codes first. */
export function usageCodes(usage: TokenUsage): string[] {
  const present = new Set(usage.buckets.flatMap((bucket) => Object.keys(bucket.codes)));
  return [...knownCodes.filter((code) => present.has(code)), ...[...present].filter((code) => !knownCodes.includes(code)).sort()];
}

function colourOf(code: string, codes: readonly string[]): string {
  return code === 'VALID' ? 'var(--ok)' : `var(--series-${(codes.indexOf(code) % 5) + 1})`;
}

function labelOf(start: string, step: TokenUsage['step']): string {
  const date = new Date(start);
  return step === 'day'
    ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * Draws one stacked bar per bucket: the token's verifications by result code. Plain SVG scaled by
 * its viewBox, like the expiry chart, so it fits a phone and a laptop.
 */
export function UsageChart({ usage }: { usage: TokenUsage }) {
  const codes = usageCodes(usage);
  const max = Math.max(1, ...usage.buckets.map((bucket) => bucket.total));
  const plotWidth = width - padding.left - padding.right;
  const plotHeight = height - padding.top - padding.bottom;
  const barWidth = plotWidth / Math.max(1, usage.buckets.length);
  const total = usage.buckets.reduce((sum, bucket) => sum + bucket.total, 0);
  const labelEvery = Math.max(1, Math.ceil(usage.buckets.length / labelCount));

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="usage-chart-title usage-chart-description" data-testid="usage-chart">
        <title id="usage-chart-title">{`Verifications per ${usage.step} by result code`}</title>
        <desc id="usage-chart-description">{`${total} verifications from ${new Date(usage.from).toLocaleString()} to ${new Date(usage.to).toLocaleString()}; the busiest ${usage.step} has ${total === 0 ? 0 : max}.`}</desc>
        <ChartAxis box={{ width, height, padding }} max={max} />
        {usage.buckets.map((bucket, index) => {
          let stacked = 0;
          return (
            <g key={bucket.start} data-total={bucket.total}>
              <title>{`${labelOf(bucket.start, usage.step)}: ${bucket.total} (${codes
                .filter((code) => bucket.codes[code])
                .map((code) => `${code} ${bucket.codes[code]}`)
                .join(', ')})`}</title>
              {codes.map((code) => {
                const count = bucket.codes[code] ?? 0;
                if (count === 0) return null;
                const segment = (count / max) * plotHeight;
                stacked += segment;
                return (
                  <rect
                    key={code}
                    className="usage-bar"
                    data-code={code}
                    fill={colourOf(code, codes)}
                    x={padding.left + index * barWidth + 0.5}
                    y={height - padding.bottom - stacked}
                    width={Math.max(1, barWidth - 1)}
                    height={segment}
                  />
                );
              })}
              {index % labelEvery === 0 && (
                <text className="chart-label" x={padding.left + index * barWidth} y={height - 8}>
                  {labelOf(bucket.start, usage.step)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend" aria-label="Result codes">
          {codes.map((code) => (
            <li key={code}>
              <span className="swatch" style={{ background: colourOf(code, codes) }} aria-hidden="true" /> {code}{' '}
              {usage.buckets.reduce((sum, bucket) => sum + (bucket.codes[code] ?? 0), 0)}
            </li>
          ))}
        </ul>
        {total} verifications in this range.
      </figcaption>
    </figure>
  );
}

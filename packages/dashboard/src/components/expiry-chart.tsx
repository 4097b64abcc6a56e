import { ChartAxis } from './chart-axis.js';
import type { TokenSummary } from '../api/types.js';

const width = 720;
const height = 180;
const padding = { top: 12, right: 8, bottom: 28, left: 36 };

/**
 * Draws a bar per day for the next 90 days: how many active tokens expire that day. Plain SVG, scaled by
 * the viewBox, so it fits a phone and a laptop and needs no chart library for one bar series.
 */
export function ExpiryChart({ timeline }: { timeline: TokenSummary['expiryTimeline'] }) {
  const max = Math.max(1, ...timeline.map((day) => day.count));
  const plotWidth = width - padding.left - padding.right;
  const plotHeight = height - padding.top - padding.bottom;
  const barWidth = plotWidth / Math.max(1, timeline.length);
  const total = timeline.reduce((sum, day) => sum + day.count, 0);
  const weekMarks = timeline.filter((day) => day.daysFromNow % 14 === 0);

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="expiry-chart-title expiry-chart-description" data-testid="expiry-chart">
        <title id="expiry-chart-title">Token expiries over the next 90 days</title>
        <desc id="expiry-chart-description">{`${total} active tokens expire in the next 90 days; the busiest day has ${max === 1 && total === 0 ? 0 : max}.`}</desc>
        <ChartAxis box={{ width, height, padding }} max={max} />
        {timeline.map((day) => {
          const barHeight = (day.count / max) * plotHeight;
          return (
            <rect
              key={day.daysFromNow}
              className="chart-bar"
              x={padding.left + day.daysFromNow * barWidth + 1}
              y={height - padding.bottom - barHeight}
              width={Math.max(1, barWidth - 2)}
              height={barHeight}
            >
              <title>{`${day.count} expiring in ${day.daysFromNow}–${day.daysFromNow + 1} days`}</title>
            </rect>
          );
        })}
        {weekMarks.map((day) => (
          <text key={day.daysFromNow} className="chart-label" x={padding.left + day.daysFromNow * barWidth} y={height - 8}>
            {day.daysFromNow === 0 ? 'today' : `+${day.daysFromNow}d`}
          </text>
        ))}
      </svg>
      <figcaption>Active tokens by expiry day, next 90 days ({total} in total).</figcaption>
    </figure>
  );
}

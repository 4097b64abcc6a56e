import { Fragment } from 'react';
import type { Alert, TesseraEvent } from '../api/types.js';
import type { ApiClient } from '../api/client.js';
import { formatTime } from '../format.js';

const eventsPerPage = 500;
// Bounds the walk through a subject's events, so one alert costs a fixed number of requests.
const maxEventPages = 4;
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

/**
 * Reads the events that raised an alert: those of its type about its subject, from its first event
 * to its last. The alert itself stores only their ids, and the evidence lives in each event's data.
 */
export async function loadAlertEvents(api: ApiClient, alert: Alert): Promise<TesseraEvent[]> {
  if (alert.subject.id === null) return [];
  const events: TesseraEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxEventPages; page += 1) {
    const result = await api.listEvents({ type: alert.type, subjectId: alert.subject.id, limit: eventsPerPage, cursor });
    events.push(...result.items);
    if (result.items.length < eventsPerPage || result.items.some((event) => event.id === alert.lastEventId)) break;
    cursor = result.nextCursor ?? undefined;
  }

  const first = events.findIndex((event) => event.id === alert.firstEventId);
  const last = events.findIndex((event) => event.id === alert.lastEventId);
  return events.slice(Math.max(0, first), last === -1 ? undefined : last + 1);
}

/** Formats one evidence value: times in local time, a map of counts as "key: count" pairs. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return isoTime.test(value) ? formatTime(value) : value;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(formatValue).join(', ');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}: ${formatValue(inner)}`)
      .join(', ');
  }
  return String(value);
}

/** Names a camelCase evidence key in words, e.g. callsInMinute as "calls in minute". */
function describeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * Shows what an event found. An anomaly's data is `{kind, evidence, response}` with numbers,
 * networks and times; other events' data are shown field by field.
 */
export function EventEvidence({ event }: { event: TesseraEvent }) {
  const data = event.data;
  const evidence = typeof data['evidence'] === 'object' && data['evidence'] !== null ? (data['evidence'] as Record<string, unknown>) : null;
  const fields = evidence ?? data;

  return (
    <div className="evidence" data-testid="alert-evidence">
      <p>
        {formatTime(event.occurredAt)}
        {typeof data['kind'] === 'string' && (
          <>
            {' '}
            <code>{data['kind']}</code>
          </>
        )}
        {typeof data['response'] === 'string' && <> · response: {data['response']}</>}
      </p>
      <dl className="facts">
        {Object.entries(fields)
          .filter(([key]) => evidence !== null || (key !== 'kind' && key !== 'response'))
          .map(([key, value]) => (
            <Fragment key={key}>
              <dt>{describeKey(key)}</dt>
              <dd>{formatValue(value)}</dd>
            </Fragment>
          ))}
      </dl>
    </div>
  );
}

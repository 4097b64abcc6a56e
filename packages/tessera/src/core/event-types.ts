/** An entry of a subscription: an exact event type, a prefix such as `token.*`, or `*` for every type. */
export const eventTypePatternSource = '^(?:\\*|[a-z][a-z0-9_]*\\.(?:\\*|[a-z][a-z0-9_]*))$';
const eventTypePattern = new RegExp(eventTypePatternSource);

export function isEventTypePattern(text: string): boolean {
  return eventTypePattern.test(text);
}

/** Returns true when an event of `type` matches one of the subscribed patterns. */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

// Findings that need a person, by what happened, whatever the subject (token, secret, ...): events
// other helpers add, such as `secret.leaked`, raise alerts without a change here.
const severityByFinding: Record<string, AlertSeverity> = {
  leaked: 'critical',
  anomaly: 'critical',
  rotation_failed: 'critical',
  expired: 'warning',
  violation: 'warning',
  expiring: 'info',
  stale: 'info',
  rotation_due: 'info',
};

/** Returns the severity of the alert an event raises, or null when the event raises none. */
export function alertSeverity(type: string, data: Record<string, unknown>): AlertSeverity | null {
  const finding = type.slice(type.indexOf('.') + 1);
  const severity = severityByFinding[finding];
  if (severity === undefined) return null;
  // The predecessor of a rotation expiring at the end of its grace period is the plan, not a finding.
  if (finding === 'expired' && data['reason'] === 'grace_period_ended') return null;
  if (finding === 'expiring' && typeof data['daysLeft'] === 'number' && data['daysLeft'] <= 1) return 'warning';
  return severity;
}

/** Event types after which open alerts about the same subject no longer apply. */
export const resolvingEventTypes: readonly string[] = ['token.rotated', 'token.revoked', 'token.deleted'];

/** Writes a one-line summary of an event for people: alert lists and chat messages. */
export function summariseEvent(event: { type: string; subject: { id: string | null }; keyspace: string | null; data: Record<string, unknown> }): string {
  const data = event.data;
  const name = typeof data['name'] === 'string' ? `'${data['name']}'` : '';
  const hint = typeof data['hint'] === 'string' ? `(${data['hint']})` : '';
  const what = [event.type.split('.')[0], name, hint].filter((part) => part !== '').join(' ');
  const where = event.keyspace === null ? '' : ` in keyspace ${event.keyspace}`;
  switch (event.type.slice(event.type.indexOf('.') + 1)) {
    case 'expiring':
      return `${what}${where} expires in ${String(data['daysLeft'])} day(s), at ${String(data['expiresAt'])}`;
    case 'expired':
      return `${what}${where} expired at ${String(data['expiredAt'] ?? '')}`.trim();
    case 'stale':
      return `${what}${where} has not been used for ${String(data['unusedDays'])} days`;
    case 'rotation_due':
      return `${what}${where} is due for rotation (created ${String(data['createdAt'])})`;
    case 'violation':
      return `${what}${where} breaks its policy: ${String(data['rule'])} (${String(data['detail'] ?? '')})`;
    default:
      return `${event.type}: ${what}${where}`;
  }
}

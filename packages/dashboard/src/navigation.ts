import type { AdminScope } from './api/permissions.js';

/**
 * The pages in the main navigation. A new area is one entry here plus its route in app.tsx.
 */
export interface NavigationItem {
  path: string;
  label: string;
  /** The scope the page reads with; the page still opens without it and shows the API's 403. */
  scope: AdminScope;
}

export const navigationItems: readonly NavigationItem[] = [
  { path: '/', label: 'Overview', scope: 'tokens:read' },
  { path: '/tokens', label: 'Tokens', scope: 'tokens:read' },
  { path: '/alerts', label: 'Alerts', scope: 'alerts:read' },
  { path: '/secrets', label: 'Secrets', scope: 'secrets:read' },
  { path: '/review', label: 'Access review', scope: 'review:read' },
  { path: '/audit', label: 'Audit log', scope: 'audit:read' },
];

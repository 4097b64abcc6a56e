import type { ApiClient } from './client.js';
import type { Secret } from './types.js';

const pageLimit = 500;
// The overview counts secrets by health, so it loads them all, up to this many; secrets are far fewer than tokens.
export const maxSecretsLoaded = 10_000;

/** Loads every secret matching the API's own filters, following the cursor, and reports whether more remain past the cap. */
export async function loadSecrets(api: ApiClient, filters: { environment?: string; owner?: string } = {}): Promise<{ items: Secret[]; more: boolean }> {
  const items: Secret[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.listSecrets({ ...filters, limit: pageLimit, cursor });
    items.push(...page.items);
    if (page.nextCursor === null) return { items, more: false };
    if (items.length >= maxSecretsLoaded) return { items, more: true };
    cursor = page.nextCursor;
  }
}

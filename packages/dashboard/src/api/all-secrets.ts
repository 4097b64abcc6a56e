import type { ApiClient } from './client.js';
import type { Secret } from './types.js';

const pageLimit = 500;
// Secrets are far fewer than tokens, so pages load them all, up to this many.
// TODO: filter by provider and search text in GET /v1/secrets, so the list need not load every secret.
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

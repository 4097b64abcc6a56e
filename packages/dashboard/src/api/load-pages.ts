import type { Page } from './types.js';

/** Loads up to `pages` pages in a row, following the cursor, and reports whether more remain after them. */
export async function loadPages<T>(pages: number, loadPage: (cursor: string | undefined) => Promise<Page<T>>): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < pages; page += 1) {
    const result = await loadPage(cursor);
    items.push(...result.items);
    if (result.nextCursor === null) return { items, more: false };
    cursor = result.nextCursor;
  }
  return { items, more: true };
}

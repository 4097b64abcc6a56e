import { sql } from 'kysely';
import type { ServiceContext } from './context.js';

export const externalChangeIntervalMilliseconds = 1_000;

/**
 * Watches the SQLite file for commits by other processes, such as the CLI on the same data
 * directory, and clears the verification cache when one happens, so a revocation made there
 * reaches this server within about a second. `PRAGMA data_version` changes only for commits made
 * through other connections, so the server's own writes never clear its cache.
 * TODO: PostgreSQL nodes still see each other's changes only when a cache entry expires (10 s).
 */
export function watchExternalChanges(context: ServiceContext, intervalMilliseconds = externalChangeIntervalMilliseconds): { stop(): void } {
  if (context.dialect !== 'sqlite') return { stop: () => {} };

  let lastVersion: number | null = null;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      const { rows } = await sql<{ data_version: number }>`pragma data_version`.execute(context.db);
      const version = rows[0]?.data_version ?? null;
      if (lastVersion !== null && version !== lastVersion) {
        context.cache.clear();
        context.logger.debug({ dataVersion: version }, 'database changed by another process; verification cache cleared');
      }
      lastVersion = version;
    } catch (error) {
      context.logger.warn({ err: error }, 'failed to check the database for changes by other processes');
    } finally {
      checking = false;
    }
  };

  void check();
  const timer = setInterval(() => void check(), intervalMilliseconds);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

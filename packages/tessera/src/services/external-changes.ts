import pg from 'pg';
import { sql } from 'kysely';
import type { ServiceContext } from './context.js';

export const externalChangeIntervalMilliseconds = 1_000;
/** The channel the `tokens_changed` trigger notifies, with the changed token's hash as payload. */
export const tokenChangeChannel = 'tessera_token_changes';

export interface ExternalChangeWatch {
  stop(): Promise<void>;
}

/**
 * Keeps the verification cache in step with changes made by other processes: on PostgreSQL by
 * listening for the notices the `tokens_changed` trigger sends, on SQLite by polling for
 * commits from other connections.
 */
export function watchExternalChanges(
  context: ServiceContext,
  options: { databaseUrl?: string | undefined; intervalMilliseconds?: number } = {},
): ExternalChangeWatch {
  const interval = options.intervalMilliseconds ?? externalChangeIntervalMilliseconds;
  if (context.dialect === 'postgres' && options.databaseUrl) return listenForTokenChanges(context, options.databaseUrl, interval);
  if (context.dialect === 'sqlite') return pollSqliteDataVersion(context, interval);
  return { stop: async () => {} };
}

/**
 * Listens on a connection of its own for token changes committed by any node, and deletes each
 * changed token from the cache, so a revocation on one node reaches every other within a round
 * trip. While the connection is down notices are lost, so the cache is cleared when it comes back.
 */
function listenForTokenChanges(context: ServiceContext, databaseUrl: string, retryMilliseconds: number): ExternalChangeWatch {
  let client: pg.Client | null = null;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;

  const reconnectLater = () => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, retryMilliseconds);
    retryTimer.unref();
  };

  const connect = async () => {
    const listener = new pg.Client({ connectionString: databaseUrl });
    listener.on('notification', (message) => {
      if (message.payload) context.cache.delete(message.payload);
    });
    const lose = (error: Error | null) => {
      if (stopped || client !== listener) return;
      client = null;
      context.logger.warn({ err: error ?? undefined }, 'lost the PostgreSQL connection that listens for token changes; reconnecting');
      void listener.end().catch(() => {});
      reconnectLater();
    };
    listener.on('error', (error) => lose(error));
    // A server that closes the connection without an error (a restart, an idle timeout) ends it silently.
    listener.on('end', () => lose(null));
    try {
      await listener.connect();
      await listener.query(`listen ${tokenChangeChannel}`);
      if (stopped) {
        await listener.end();
        return;
      }
      client = listener;
      // Changes made while no connection listened were not announced.
      context.cache.clear();
      context.logger.debug('listening for token changes from other nodes');
    } catch (error) {
      context.logger.warn({ err: error }, 'failed to listen for token changes from other nodes; retrying');
      await listener.end().catch(() => {});
      reconnectLater();
    }
  };

  void connect();
  return {
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      await client?.end().catch(() => {});
      client = null;
    },
  };
}

const reportedKeyVersions = new WeakMap<ServiceContext, number>();

/**
 * Logs an error when another process, such as `tessera keys rotate`, recorded a master key version
 * newer than this process loaded. Tokens issued there are hashed under it and read as not found
 * here, and secrets wrapped under it cannot be read, until this process restarts.
 */
async function warnOfNewerMasterKey(context: ServiceContext): Promise<void> {
  const row = await context.db
    .selectFrom('key_versions')
    .select((eb) => eb.fn.max('version').as('newest'))
    .executeTakeFirst();
  const newest = Number(row?.newest ?? 0);
  if (newest <= context.keyRing.current.version || reportedKeyVersions.get(context) === newest) return;
  reportedKeyVersions.set(context, newest);
  context.logger.error(
    { loadedKeyVersion: context.keyRing.current.version, newestKeyVersion: newest },
    'another process added a newer master key version; restart this server to load it, because until then tokens issued under it read as not found here',
  );
}

/**
 * Watches the SQLite file for commits by other processes, such as the CLI on the same data
 * directory, and clears the verification cache when one happens, so a revocation made there
 * reaches this server within about a second. `PRAGMA data_version` changes only for commits made
 * through other connections, so the server's own writes never clear its cache.
 */
function pollSqliteDataVersion(context: ServiceContext, intervalMilliseconds: number): ExternalChangeWatch {
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
        await warnOfNewerMasterKey(context);
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
  return { stop: async () => clearInterval(timer) };
}

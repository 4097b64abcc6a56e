import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { TesseraError } from '../core/errors.js';
import { localOperator } from '../services/actor.js';
import { initialise, isInitialised } from '../services/bootstrap.js';
import { createLogger } from '../services/logger.js';
import { Tessera, type OpenOptions } from '../services/tessera.js';
import { watchExternalChanges } from '../services/external-changes.js';
import { buildServer } from './server.js';
import { defaultHost, defaultPort } from './defaults.js';
import { defaultJobOptions, tesseraJobs, type JobOptions } from '../scheduler/jobs.js';
import { validBusyShare } from '../scheduler/pacer.js';
import { Scheduler } from '../scheduler/scheduler.js';

export interface StartOptions extends Omit<OpenOptions, 'create' | 'logger'> {
  host?: string | undefined;
  port?: number | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  /** Options of the scheduled jobs, or false to run none (a node that only serves requests). */
  scheduler?: Partial<JobOptions> | false | undefined;
}

export interface RunningServer {
  app: FastifyInstance;
  tessera: Tessera;
  /** Base URL, e.g. http://127.0.0.1:8470. */
  url: string;
  /** The first admin token when this start initialised the installation, otherwise null. */
  initialAdminToken: string | null;
  /** The scheduled jobs of this node; null when started with `scheduler: false`. */
  scheduler: Scheduler | null;
  close(): Promise<void>;
}

export { defaultHost, defaultPort };

/** Opens (or creates) an installation and serves the API; the first start also creates the first admin token. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  // Checked before anything is opened, so a bad setting leaves no half-started node behind.
  const jobOptions: JobOptions | null = options.scheduler === false ? null : { ...defaultJobOptions, ...options.scheduler };
  if (jobOptions) validBusyShare(jobOptions.busyShare, 'scheduler.busyShare');

  const logger = options.logger ?? createLogger();
  const tessera = await Tessera.open({ ...options, create: true, logger, collectMetrics: true });

  // Listen first: if the port is taken, nothing is initialised, so the first admin token is never
  // created without being printed.
  let started = false;
  const app = await buildServer(tessera.context, logger, { isStarted: () => started });
  const host = options.host ?? defaultHost;
  const requestedPort = options.port ?? defaultPort;
  try {
    await app.listen({ host, port: requestedPort });
  } catch (error) {
    await tessera.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TesseraError('CONFIGURATION_INVALID', `port ${requestedPort} on ${host} is already in use; stop the other process or pass --port`, {
        cause: error,
      });
    }
    throw error;
  }

  let initialAdminToken: string | null = null;
  try {
    if (!(await isInitialised(tessera.context))) initialAdminToken = (await initialise(tessera.context, localOperator())).secret;
  } catch (error) {
    // Another node of the same PostgreSQL database may have initialised it a moment earlier.
    if (!(error instanceof TesseraError && error.code === 'ALREADY_INITIALISED')) {
      await app.close();
      await tessera.close();
      throw error;
    }
  }

  tessera.context.usage.start();
  started = true;
  const externalChanges = watchExternalChanges(tessera.context, { databaseUrl: options.databaseUrl });
  const scheduler = jobOptions && new Scheduler(tessera.context, tesseraJobs(jobOptions), { busyShare: jobOptions.busyShare });

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logger.info({ host, port, database: tessera.context.dialect, limitCounters: tessera.context.limits.kind }, 'tessera listening');
  if (tessera.context.limits.kind === 'in-process') {
    logger.info('rate-limit and quota counters are kept in this process, so each node counts alone; set REDIS_URL to share them');
  }
  // Started after the start-up is logged, because the first catch-up run may be long.
  scheduler?.start();

  return {
    app,
    tessera,
    url: `http://${urlHost}:${port}`,
    initialAdminToken,
    scheduler,
    async close() {
      await externalChanges.stop();
      await scheduler?.stop();
      await app.close();
      await tessera.close();
      logger.info('tessera stopped');
    },
  };
}

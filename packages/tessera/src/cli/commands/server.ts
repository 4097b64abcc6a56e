import { InvalidArgumentError, Option, type Command } from 'commander';
import { defaultRetention, defaultUsageFlushIntervalMilliseconds, type UsageRetention } from '../../core/usage-buckets.js';
import { defaultHost, defaultPort } from '../../http/defaults.js';
import { defaultBusyShare, isBusyShare } from '../../scheduler/pacer.js';
import { durationOption, portOption, resolveDataDir, type GlobalOptions } from '../settings.js';
import { printJson } from '../output.js';

// The database, server and logger modules load only when these commands run, so that commands
// such as `tessera scan --staged` in a pre-commit hook start quickly.

interface ServeOptions {
  host: string;
  port: number;
  usageFlushInterval: number;
  usageRetention: UsageRetention;
  scheduler: boolean;
  schedulerBusyShare: number;
}

export function registerServerCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('create the data directory, key file (mode 0600), database and the first admin token, printed once')
    .action(async () => {
      const options = globals();
      const { Tessera } = await import('../../services/tessera.js');
      const { initialise } = await import('../../services/bootstrap.js');
      const { localOperator } = await import('../../services/actor.js');
      const tessera = await Tessera.open({
        dataDir: resolveDataDir(options.dataDir),
        databaseUrl: options.databaseUrl,
        masterKey: process.env['TESSERA_MASTER_KEY'],
        create: true,
      });
      try {
        const { secret, token } = await initialise(tessera.context, localOperator());
        if (options.json) {
          printJson({ adminToken: secret });
        } else {
          process.stdout.write(
            `Initialised Tessera in ${resolveDataDir(options.dataDir)}.\n\nAdmin token (shown once; store it in your secret manager):\n\n  ${secret}\n\nToken id: ${token.id}\nUse it with: export TESSERA_TOKEN=<admin token>\n`,
          );
        }
      } finally {
        await tessera.close();
      }
    });

  program
    .command('serve')
    .description('serve the HTTP API; the first start on an empty data directory also initialises it')
    .addOption(new Option('--host <address>', 'address to listen on').env('TESSERA_HOST').default(defaultHost))
    .addOption(new Option('--port <number>', 'TCP port to listen on; 0 picks a free one').env('TESSERA_PORT').argParser(portOption).default(defaultPort))
    .addOption(
      new Option('--usage-flush-interval <duration>', 'how often recorded usage is written, e.g. 5s; a crash loses at most this much usage')
        .env('TESSERA_USAGE_FLUSH_INTERVAL')
        .argParser(durationOption)
        .default(defaultUsageFlushIntervalMilliseconds / 1000, '5s'),
    )
    .addOption(
      new Option('--usage-retention <days>', 'days of minute, hour and day usage to keep, as minute:hour:day')
        .env('TESSERA_USAGE_RETENTION')
        .argParser(retentionOption)
        .default(defaultRetention, '2:35:400'),
    )
    .option('--no-scheduler', 'run no scheduled jobs on this node, e.g. on nodes that only verify while other nodes run the jobs')
    .addOption(
      new Option(
        '--scheduler-busy-share <fraction>',
        'highest fraction of real time that scheduled jobs keep the event loop busy, greater than 0 and at most 1; they pause between pages to keep to it',
      )
        .env('TESSERA_SCHEDULER_BUSY_SHARE')
        .argParser(busyShareOption)
        .default(defaultBusyShare, '0.05'),
    )
    .action(async (commandOptions: ServeOptions) => {
      const options = globals();
      const { createLogger } = await import('../../services/logger.js');
      const { startServer } = await import('../../http/start.js');
      const logger = createLogger();
      const server = await startServer({
        dataDir: resolveDataDir(options.dataDir),
        databaseUrl: options.databaseUrl,
        masterKey: process.env['TESSERA_MASTER_KEY'],
        host: commandOptions.host,
        port: commandOptions.port,
        logger,
        redisUrl: process.env['REDIS_URL'],
        redisKeyPrefix: process.env['TESSERA_REDIS_PREFIX'],
        usage: { flushIntervalMilliseconds: Math.max(1, commandOptions.usageFlushInterval) * 1000, retention: commandOptions.usageRetention },
        scheduler: commandOptions.scheduler && { busyShare: commandOptions.schedulerBusyShare },
      });

      // The first admin token goes to standard error, never through the logger, so no log line contains it.
      if (server.initialAdminToken) {
        process.stderr.write(
          `\nTessera initialised. Admin token (shown once; store it now):\n\n  ${server.initialAdminToken}\n\nTry: export TESSERA_TOKEN=<the token above>\n     curl -H "Authorization: Bearer $TESSERA_TOKEN" ${server.url}/v1/keyspaces\n\n`,
        );
      }

      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping');
          void server.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'error while stopping');
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      logger.flush();
    });
}

function busyShareOption(value: string): number {
  const share = value.trim() === '' ? Number.NaN : Number(value);
  if (!isBusyShare(share)) throw new InvalidArgumentError(`'${value}' is not a fraction greater than 0 and at most 1; use e.g. 0.05 for 5%`);
  return share;
}

function retentionOption(value: string): UsageRetention {
  const parts = value.split(':').map(Number);
  if (parts.length !== 3 || parts.some((days) => !Number.isInteger(days) || days < 1)) {
    throw new InvalidArgumentError(`'${value}' is not minute:hour:day retention in whole days; use e.g. 2:35:400`);
  }
  const [minuteDays, hourDays, dayDays] = parts as [number, number, number];
  return { minuteDays, hourDays, dayDays };
}

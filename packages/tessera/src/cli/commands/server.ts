import { Option, type Command } from 'commander';
import { createLogger } from '../../services/logger.js';
import { initialise } from '../../services/bootstrap.js';
import { localOperator } from '../../services/actor.js';
import { Tessera } from '../../services/tessera.js';
import { defaultHost, defaultPort, startServer } from '../../http/start.js';
import { portOption, resolveDataDir, type GlobalOptions } from '../settings.js';
import { printJson } from '../output.js';

export function registerServerCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('create the data directory, key file (mode 0600), database and the first admin token, printed once')
    .action(async () => {
      const options = globals();
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
    .option('--no-scheduler', 'run no scheduled jobs on this node, e.g. on nodes that only verify while other nodes run the jobs')
    .action(async (commandOptions: { host: string; port: number; scheduler: boolean }) => {
      const options = globals();
      const logger = createLogger();
      const server = await startServer({
        dataDir: resolveDataDir(options.dataDir),
        databaseUrl: options.databaseUrl,
        masterKey: process.env['TESSERA_MASTER_KEY'],
        host: commandOptions.host,
        port: commandOptions.port,
        logger,
        ...(!commandOptions.scheduler && { scheduler: false as const }),
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

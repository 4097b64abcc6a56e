import { Option, type Command } from 'commander';
import { alertStatuses, type AlertStatus } from '../../core/alert-status.js';
import type { WithClient } from '../client.js';
import { printJson, printTable, shortTime } from '../output.js';

export function registerAlertCommands(program: Command, withClient: WithClient): void {
  const alert = program.command('alert').description('list and acknowledge alerts');

  alert
    .command('list')
    .description('list alerts, newest first; exits 1 when open alerts are listed')
    .addOption(new Option('--status <status>', 'alerts in this status').choices([...alertStatuses, 'all']).default('open'))
    .option('--type <type>', 'only alerts raised by this event type, e.g. token.expiring')
    .action((options: { status: AlertStatus | 'all'; type?: string }) =>
      withClient(async (client, globals) => {
        const { items } = await client.listAlerts({ status: options.status, type: options.type, limit: 500 });
        if (globals.json) printJson(items);
        else
          printTable(
            ['id', 'severity', 'type', 'status', 'summary', 'events', 'updated'],
            items.map((item) => [item.id, item.severity, item.type, item.status, item.summary, item.eventCount, shortTime(item.updatedAt)]),
          );
        return items.some((item) => item.status === 'open') ? 1 : 0;
      }),
    );

  alert
    .command('ack <id>')
    .description('acknowledge an open alert')
    .action((id: string) =>
      withClient(async (client, globals) => {
        const acknowledged = await client.acknowledgeAlert(id);
        if (globals.json) printJson(acknowledged);
        else process.stderr.write(`acknowledged alert ${id}\n`);
      }),
    );
}

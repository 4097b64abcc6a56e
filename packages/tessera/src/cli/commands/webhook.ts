import { Option, type Command } from 'commander';
import { webhookFormats, type WebhookFormat } from '../../core/webhook-format.js';
import type { WithClient } from '../client.js';
import { printJson, printTable, shortTime } from '../output.js';
import { collect } from '../settings.js';

export function registerWebhookCommands(program: Command, withClient: WithClient): void {
  const webhook = program.command('webhook').description('manage webhook endpoints and their deliveries');

  webhook
    .command('create <name>')
    .description('create an endpoint; its whsec_ signing secret is printed once')
    // Not --url, which every command already takes as the address of the Tessera server.
    .requiredOption('--endpoint <url>', 'http or https URL that receives the events (required)')
    .option('--event <types>', 'event type to send, e.g. token.expiring, token.* or *; repeatable (default *)', collect)
    .addOption(new Option('--format <format>', 'standard (signed JSON event) or slack (a chat message)').choices([...webhookFormats]).default('standard'))
    .option('--description <text>', 'what the endpoint is for')
    .action((name: string, options: { endpoint: string; event?: string[]; format: WebhookFormat; description?: string }) =>
      withClient(async (client, globals) => {
        const created = await client.createWebhook({
          name,
          url: options.endpoint,
          eventTypes: options.event,
          format: options.format,
          description: options.description,
        });
        if (globals.json) printJson(created);
        else
          process.stdout.write(
            `Created webhook ${created.name} (${created.id}).\n\nSigning secret (shown once; give it to the receiver now):\n\n  ${created.secret}\n\n`,
          );
      }),
    );

  webhook
    .command('list')
    .description('list endpoints')
    .action(() =>
      withClient(async (client, globals) => {
        const { items } = await client.listWebhooks();
        if (globals.json) printJson(items);
        else
          printTable(
            ['id', 'name', 'url', 'format', 'events', 'enabled'],
            items.map((item) => [item.id, item.name, item.url, item.format, item.eventTypes.join(' '), item.enabled ? 'yes' : 'no']),
          );
      }),
    );

  for (const [command, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    webhook
      .command(`${command} <id>`)
      .description(enabled ? 'resume deliveries to an endpoint' : 'pause deliveries to an endpoint; they queue until it is enabled')
      .action((id: string) =>
        withClient(async (client, globals) => {
          const updated = await client.updateWebhook(id, { enabled });
          if (globals.json) printJson(updated);
          else process.stderr.write(`webhook ${updated.name} ${command}d\n`);
        }),
      );
  }

  webhook
    .command('delete <id>')
    .description('delete an endpoint and its delivery log')
    .action((id: string) =>
      withClient(async (client) => {
        await client.deleteWebhook(id);
        process.stderr.write(`deleted webhook ${id}\n`);
      }),
    );

  webhook
    .command('deliveries <id>')
    .description("list an endpoint's deliveries, newest first")
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(['pending', 'delivered', 'failed']))
    .action((id: string, options: { status?: string }) =>
      withClient(async (client, globals) => {
        const { items } = await client.listWebhookDeliveries(id, { limit: 100, ...(options.status && { status: options.status }) });
        if (globals.json) printJson(items);
        else
          printTable(
            ['id', 'event', 'type', 'status', 'attempts', 'last status', 'last error', 'next attempt'],
            items.map((item) => [
              item.id,
              item.eventId,
              item.eventType,
              item.status,
              item.attempts,
              item.lastStatusCode,
              item.lastError,
              shortTime(item.nextAttemptAt),
            ]),
          );
      }),
    );

  webhook
    .command('replay <id> <deliveryId>')
    .description('send a delivery again, with the same webhook-id')
    .action((id: string, deliveryId: string) =>
      withClient(async (client, globals) => {
        const replayed = await client.replayDelivery(id, deliveryId);
        if (globals.json) printJson(replayed);
        else process.stderr.write(`delivery ${deliveryId} queued again\n`);
      }),
    );
}

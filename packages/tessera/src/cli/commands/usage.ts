import { Option, type Command } from 'commander';
import type { UsageStep } from '../../store/schema.js';
import { usageSteps } from '../../core/usage-buckets.js';
import type { TokenUsage } from '../../services/usage.js';
import type { WithClient } from '../client.js';
import { printJson, printTable, shortTime } from '../output.js';

const sparkBlocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Draws one block per bucket, scaled to the busiest bucket; an empty bucket is a space. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((value) => (value === 0 || max === 0 ? ' ' : sparkBlocks[Math.min(sparkBlocks.length - 1, Math.floor((value / max) * sparkBlocks.length))]))
    .join('');
}

function sumBy(usage: TokenUsage, dimension: 'codes' | 'networks' | 'scopes'): [string, number][] {
  const totals = new Map<string, number>();
  for (const bucket of usage.buckets) for (const [key, count] of Object.entries(bucket[dimension])) totals.set(key, (totals.get(key) ?? 0) + count);
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

function printUsage(usage: TokenUsage): void {
  const totals = usage.buckets.map((bucket) => bucket.total);
  const total = totals.reduce((sum, value) => sum + value, 0);
  process.stdout.write(`Token ${usage.tokenId}: ${total} verifications from ${shortTime(usage.from)} to ${shortTime(usage.to)}, by ${usage.step}\n`);
  process.stdout.write(`last used ${shortTime(usage.lastUsedAt) ?? 'never'}${usage.lastUsedIp ? ` from ${usage.lastUsedIp}` : ''}\n\n`);
  process.stdout.write(`  |${sparkline(totals)}|  max ${Math.max(0, ...totals)} per ${usage.step}\n\n`);
  if (total === 0) return;

  const rows = [
    ...sumBy(usage, 'codes').map(([key, count]) => ['result', key, count]),
    ...sumBy(usage, 'networks').map(([key, count]) => ['network', key, count]),
    ...sumBy(usage, 'scopes').map(([key, count]) => ['scope', key, count]),
  ];
  printTable(['by', 'value', 'verifications'], rows);
}

export function registerUsageCommands(program: Command, withClient: WithClient): void {
  program
    .command('usage')
    .description("show a token's verifications over time, by result code, source network and required scope")
    .argument('<token-id>', 'id of the token')
    .addOption(new Option('--step <step>', 'bucket size').choices([...usageSteps]).default('hour'))
    .option('--from <time>', 'start, ISO 8601 (default: 1 hour, 1 day or 30 days before --to, by step)')
    .option('--to <time>', 'end, ISO 8601 (default: now)')
    .action((id: string, options: { step: UsageStep; from?: string; to?: string }) =>
      withClient(async (client, globals) => {
        const usage = await client.getUsage(id, { step: options.step, from: options.from, to: options.to });
        if (globals.json) printJson(usage);
        else printUsage(usage);
      }),
    );
}

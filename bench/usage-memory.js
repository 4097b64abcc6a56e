// Memory of the usage buffer with 100,000 distinct active tokens between two flushes.
//
// Builds the buffer the usage recorder keeps (services/usage-buffer.js) in this process and adds
// one verification for each of --tokens distinct token ids within one minute, each with a source
// address and one required scope, as the hot path does. The heap is measured after a forced
// garbage collection before and after; each round drops its buffer before the next starts. Needs
// --expose-gc, which `npm run bench` passes.
//
// Usage: npm run build && node --expose-gc bench/usage-memory.js [--tokens 100000] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatNumber, importDist, median, printMachineInfo, printTable, requireBuild } from './support.js';

const { values: options } = parseArgs({ options: { tokens: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } });

function heapAfterCollection() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

async function main() {
  if (typeof globalThis.gc !== 'function') {
    console.error('run with node --expose-gc');
    process.exit(2);
  }
  requireBuild();
  const { UsageBuffer } = await importDist('services/usage-buffer.js');
  const tokens = Number(options.tokens);
  const rounds = Number(options.rounds);
  printMachineInfo('usage-memory');

  const ids = Array.from({ length: tokens }, () => randomUUID());
  const at = Date.parse('2026-06-01T10:00:30Z');
  const rows = [];
  const perToken = [];
  for (let round = 1; round <= rounds; round += 1) {
    const before = heapAfterCollection();
    let buffer = new UsageBuffer();
    ids.forEach((id, index) =>
      buffer.add({ tokenId: id, at, code: 'VALID', ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, scopes: ['invoices:read'] }),
    );
    const bufferBytes = heapAfterCollection() - before;
    if (buffer.size !== tokens) throw new Error('the buffer did not keep one entry per token');
    buffer = null;

    perToken.push(bufferBytes / tokens);
    rows.push([String(round), formatNumber(bufferBytes / 2 ** 20, 1), formatNumber(bufferBytes / tokens)]);
  }
  printTable(['round', 'usage buffer MiB', 'bytes per token'], rows);
  console.log(
    `\nmedian ${formatNumber(median(perToken))} bytes per active token; ${formatNumber((median(perToken) * tokens) / 2 ** 20, 1)} MiB at ${formatNumber(tokens)} tokens`,
  );
}

await main();

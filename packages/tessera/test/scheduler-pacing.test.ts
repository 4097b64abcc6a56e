import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TesseraError } from '../src/core/errors.js';
import { startServer } from '../src/http/start.js';
import { Pacer, pauseAfter, validBusyShare } from '../src/scheduler/pacer.js';
import { createTestLogger } from './support/artifacts.js';
import { freePort, runCli, startServe } from './support/cli.js';

/**
 * Creates a pacer on a fake monotonic clock. `work(ms)` stands for a page of work that takes `ms`,
 * and each sleep moves the clock by its length and is recorded, so no test waits for real time.
 */
function fakePacer(busyShare: number, signal?: AbortSignal) {
  let now = 1000;
  const sleeps: number[] = [];
  const pacer = new Pacer({
    busyShare,
    signal,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  return { pacer, sleeps, work: (ms: number) => (now += ms), now: () => now };
}

describe('pacer pause', () => {
  test.each([
    { busyMs: 10, busyShare: 0.05, pauseMs: 190 },
    { busyMs: 10, busyShare: 0.25, pauseMs: 30 },
    { busyMs: 10, busyShare: 0.5, pauseMs: 10 },
    { busyMs: 10, busyShare: 1, pauseMs: 0 },
    { busyMs: 0, busyShare: 0.05, pauseMs: 0 },
    { busyMs: 0.5, busyShare: 0.1, pauseMs: 4.5 },
  ])('$busyMs ms busy at share $busyShare', ({ busyMs, busyShare, pauseMs }) => {
    expect(pauseAfter(busyMs, busyShare)).toBeCloseTo(pauseMs, 9);
  });

  test('each page sleeps for its own work', async () => {
    const { pacer, sleeps, work } = fakePacer(0.05);
    await pacer.run(async (pace) => {
      work(4);
      await pace();
      work(2);
      await pace();
      work(10);
      await pace();
    });
    expect(sleeps).toEqual([76, 38, 190]);
  });

  test('share 1 never sleeps', async () => {
    const { pacer, sleeps, work } = fakePacer(1);
    await pacer.run(async (pace) => {
      work(50);
      await pace();
      work(50);
      await pace();
    });
    expect(sleeps).toEqual([]);
  });

  test('pause under 1 ms carries over', async () => {
    const { pacer, sleeps, work } = fakePacer(0.05);
    await pacer.run(async (pace) => {
      // 0.02 ms earns 0.38 ms: too short for a timer, so the page only yields.
      work(0.02);
      await pace();
      expect(sleeps).toEqual([]);
      // 0.04 ms more earns 0.76 ms, on top of the 0.34 ms still owed.
      work(0.04);
      await pace();
    });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeCloseTo(0.34 + 0.76, 9);
  });

  test('time after last pace is uncharged', async () => {
    const { pacer, sleeps, work } = fakePacer(0.05);
    await pacer.run(async (pace) => {
      work(2);
      await pace();
      // Waiting 5 s for a webhook receiver after the paged work must not pause the next run.
      work(5000);
    });
    expect(sleeps).toEqual([38]);

    await pacer.run(async (pace) => {
      work(1);
      await pace();
    });
    expect(sleeps).toEqual([38, 19]);
  });

  test('runs at once share one deadline', async () => {
    let now = 0;
    const sleeps: { ms: number; wake: () => void }[] = [];
    const pacer = new Pacer({
      busyShare: 0.5,
      now: () => now,
      sleep: (ms) => new Promise<void>((resolve) => sleeps.push({ ms, wake: resolve })),
    });
    const resumedAt: Record<string, number> = {};

    const first = pacer.run(async (pace) => {
      now += 10;
      await pace();
      resumedAt['first'] = now;
    });
    const second = pacer.run(async (pace) => {
      now += 4;
      await pace();
      resumedAt['second'] = now;
    });

    // At share 0.5 the first run's 10 ms earn 10 ms, so it sleeps from 10 until 20. The second run
    // starts at 10 and works 4 ms, which earn 4 ms after that deadline: it sleeps until 24.
    await expect.poll(() => sleeps.map((sleep) => sleep.ms)).toEqual([10, 10]);
    now = 20;
    sleeps[0]!.wake();
    // The first run wakes at 20, but the deadline has moved to 24, so it sleeps again.
    await expect.poll(() => sleeps.map((sleep) => sleep.ms)).toEqual([10, 10, 4]);
    now = 24;
    sleeps[1]!.wake();
    sleeps[2]!.wake();
    await Promise.all([first, second]);
    expect(resumedAt).toEqual({ first: 24, second: 24 });
  });

  test('aborted signal stops sleeping', async () => {
    const stopping = new AbortController();
    stopping.abort();
    const { pacer, sleeps, work } = fakePacer(0.05, stopping.signal);
    await pacer.run(async (pace) => {
      work(100);
      await pace();
    });
    expect(sleeps).toEqual([]);
  });

  test('abort ends a real pause', async () => {
    const stopping = new AbortController();
    let now = 0;
    const pacer = new Pacer({ busyShare: 0.001, signal: stopping.signal, now: () => now });
    const run = pacer.run(async (pace) => {
      // 100 ms of work at 0.1% earns a pause of about 100 s on a real timer.
      now += 100;
      await pace();
      return 'finished';
    });
    stopping.abort();
    await expect(run).resolves.toBe('finished');
  });
});

describe('busy share setting', () => {
  test.each([0.05, 0.5, 1, Number.MIN_VALUE])('accepts %s', (value) => {
    expect(validBusyShare(value, 'scheduler.busyShare')).toBe(value);
  });

  test.each([0, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0.05', null, undefined])('rejects %s', (value) => {
    let caught: unknown;
    try {
      validBusyShare(value, 'scheduler.busyShare');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TesseraError);
    const error = caught as TesseraError;
    expect(error.code).toBe('CONFIGURATION_INVALID');
    expect(error.field).toBe('scheduler.busyShare');
    expect(error.message).toMatch(/^scheduler\.busyShare must be a number greater than 0 and at most 1, e\.g\. 0\.05/);
  });

  test('pacer rejects share 0', () => {
    expect(() => new Pacer({ busyShare: 0 })).toThrow(/^busyShare must be a number greater than 0 and at most 1/);
  });

  test('server rejects share before opening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-pacing-'));
    try {
      const { logger } = createTestLogger('pacing-invalid-share');
      const start = startServer({ dataDir, host: '127.0.0.1', port: 0, logger, scheduler: { busyShare: 2 } });
      await expect(start).rejects.toMatchObject({ code: 'CONFIGURATION_INVALID', field: 'scheduler.busyShare' });
      await expect(start).rejects.toThrow(/got 2$/);
      // Nothing was created: no key file and no database.
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test.each([
    { how: 'option', args: ['--scheduler-busy-share', '0'], env: {}, value: '0' },
    { how: 'option', args: ['--scheduler-busy-share', '1.5'], env: {}, value: '1.5' },
    { how: 'environment', args: [], env: { TESSERA_SCHEDULER_BUSY_SHARE: 'five' }, value: 'five' },
  ])('serve rejects $value by $how', async ({ args, env, value }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-pacing-'));
    try {
      const result = await runCli(['--data-dir', dataDir, 'serve', '--port', '0', ...args], { env });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('--scheduler-busy-share');
      expect(result.stderr).toContain(`'${value}' is not a fraction greater than 0 and at most 1; use e.g. 0.05 for 5%`);
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('serve starts with share from environment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-pacing-'));
    const port = await freePort();
    const server = await startServe({
      name: 'pacing-share-env',
      args: ['serve', '--data-dir', dataDir, '--port', String(port)],
      port,
      env: { TESSERA_SCHEDULER_BUSY_SHARE: '0.2' },
    });
    try {
      const response = await fetch(`${server.url}/readyz`);
      expect(response.status).toBe(200);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

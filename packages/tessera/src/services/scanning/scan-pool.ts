import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { compileRules, type ScannerConfig } from '../../core/scanner/compile-rules.js';
import { runScanJob, type ScanJob, type ScanJobResult } from './scan-job.js';
import type { ScanWorkerData } from './scan-worker.js';

export interface ScanPoolOptions {
  config: ScannerConfig;
  maxFindings: number;
  /** Worker threads to start; 0 scans in the calling thread, which is faster for a handful of files. */
  threads: number;
}

/** Runs scan jobs on worker threads, or in this thread when `threads` is 0. */
export interface ScanPool {
  run(jobs: ScanJob[]): Promise<ScanJobResult[]>;
  close(): Promise<void>;
}

const workerUrl = new URL('./scan-worker.js', import.meta.url);

function createThreadPool(options: ScanPoolOptions): ScanPool {
  const workerData: ScanWorkerData = { config: options.config, maxFindings: options.maxFindings };
  const idle: Worker[] = [];
  const waiting: ((worker: Worker) => void)[] = [];
  const workers = Array.from({ length: options.threads }, () => new Worker(workerUrl, { workerData }));
  idle.push(...workers);

  const acquire = (): Promise<Worker> => {
    const worker = idle.pop();
    return worker ? Promise.resolve(worker) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (worker: Worker): void => {
    const next = waiting.shift();
    if (next) next(worker);
    else idle.push(worker);
  };

  return {
    async run(jobs) {
      const worker = await acquire();
      try {
        return await new Promise<ScanJobResult[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(jobs);
        });
      } finally {
        worker.removeAllListeners('error');
        release(worker);
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * Creates a pool. Worker threads need the compiled worker script. When the scanner runs from
 * TypeScript sources (under a test runner) there is none, so the jobs run in this thread.
 */
export function createScanPool(options: ScanPoolOptions): ScanPool {
  if (options.threads > 0 && existsSync(fileURLToPath(workerUrl))) return createThreadPool(options);

  const rules = compileRules(options.config);
  return {
    run: (jobs) => Promise.all(jobs.map((job) => runScanJob(job, rules, options.maxFindings))),
    close: () => Promise.resolve(),
  };
}

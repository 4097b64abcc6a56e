import { parentPort, workerData } from 'node:worker_threads';
import { compileRules, type ScannerConfig } from '../../core/scanner/compile-rules.js';
import { runScanJob, type ScanJob } from './scan-job.js';

/** Settings a scanning worker starts with; rules travel as data and are compiled in each thread. */
export interface ScanWorkerData {
  config: ScannerConfig;
  maxFindings: number;
}

const { config, maxFindings } = workerData as ScanWorkerData;
const rules = compileRules(config);

parentPort!.on('message', (jobs: ScanJob[]) => {
  void Promise.all(jobs.map((job) => runScanJob(job, rules, maxFindings))).then((results) => parentPort!.postMessage(results));
});

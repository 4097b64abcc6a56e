import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { verifyCodes, type VerifyCode } from '../core/verification.js';

/**
 * Prometheus metrics of one Tessera process, in a registry of its own so that several
 * installations in one process (as in tests) do not collide. Gauges that need the database or
 * the cache are attached by `registerStateGauges` once those exist.
 */
export class TesseraMetrics {
  readonly registry = new Registry();

  readonly verifications = new Counter({
    name: 'tessera_verifications_total',
    help: 'Token verifications by result code.',
    labelNames: ['code'],
    registers: [this.registry],
  });

  readonly verifyDuration = new Histogram({
    name: 'tessera_verify_duration_seconds',
    help: 'Time from a verify request being routed to its result, in seconds.',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly usageFlushDuration = new Histogram({
    name: 'tessera_usage_flush_duration_seconds',
    help: 'Time to write one usage batch and run anomaly detection on it, in seconds.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly usageDropped = new Counter({
    name: 'tessera_usage_dropped_total',
    help: 'Verification uses not recorded because the usage buffer was at its bound.',
    registers: [this.registry],
  });

  readonly anomalies = new Counter({
    name: 'tessera_anomalies_total',
    help: 'Anomaly findings raised by this process, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  /** One child per code, looked up once, so counting a verification costs no label hashing. */
  readonly verificationsByCode = Object.fromEntries(verifyCodes.map((code) => [code, this.verifications.labels({ code })])) as Record<
    VerifyCode,
    ReturnType<Counter['labels']>
  >;

  constructor() {
    // Zero series for every code, so a rate() over a code that has not happened yet is 0, not absent.
    for (const code of verifyCodes) this.verificationsByCode[code].inc(0);
  }

  /** Adds a gauge whose value is read at scrape time. */
  addGauge(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void | Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }
}

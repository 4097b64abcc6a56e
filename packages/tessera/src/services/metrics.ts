import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { verifyCodes, type VerifyCode } from '../core/verification.js';

/** The counters and timers the services update; the server exports them at /metrics. */
export interface Metrics {
  countVerification(code: VerifyCode): void;
  observeVerifyDuration(seconds: number): void;
  /** Starts timing one usage flush; the returned function stops it. */
  startFlushTimer(): () => void;
  countDroppedUse(): void;
  countAnomaly(kind: string): void;
  /** Adds a gauge whose value is read at scrape time. */
  addGauge(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void | Promise<void>): void;
  /** Returns the metrics in the Prometheus text format, or null when this process collects none. */
  render(): Promise<{ contentType: string; body: string } | null>;
}

/**
 * Prometheus metrics of one Tessera process, in a registry of its own so that several
 * installations in one process (as in tests) do not collide. prom-client is loaded here, on
 * demand, so CLI commands that collect nothing do not pay for loading it.
 */
export async function createPrometheusMetrics(): Promise<Metrics> {
  const prometheus = await import('prom-client');
  const registry: Registry = new prometheus.Registry();
  const registers = [registry];

  const verifications: Counter = new prometheus.Counter({
    name: 'tessera_verifications_total',
    help: 'Token verifications by result code.',
    labelNames: ['code'],
    registers,
  });
  // One child per code, looked up once, so counting a verification costs no label hashing.
  const verificationsByCode = Object.fromEntries(verifyCodes.map((code) => [code, verifications.labels({ code })])) as Record<VerifyCode, Counter.Internal>;
  // Zero series for every code, so a rate() over a code that has not happened yet is 0, not absent.
  for (const code of verifyCodes) verificationsByCode[code].inc(0);

  const verifyDuration: Histogram = new prometheus.Histogram({
    name: 'tessera_verify_duration_seconds',
    help: 'Time from a verify request being routed to its result, in seconds.',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers,
  });
  const usageFlushDuration: Histogram = new prometheus.Histogram({
    name: 'tessera_usage_flush_duration_seconds',
    help: 'Time to write one usage batch and run anomaly detection on it, in seconds.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const usageDropped: Counter = new prometheus.Counter({
    name: 'tessera_usage_dropped_total',
    help: 'Verification uses not recorded because the usage buffer was at its bound.',
    registers,
  });
  const anomalies: Counter = new prometheus.Counter({
    name: 'tessera_anomalies_total',
    help: 'Anomaly findings raised by this process, by kind.',
    labelNames: ['kind'],
    registers,
  });

  return {
    countVerification: (code) => verificationsByCode[code].inc(),
    observeVerifyDuration: (seconds) => verifyDuration.observe(seconds),
    startFlushTimer: () => usageFlushDuration.startTimer(),
    countDroppedUse: () => usageDropped.inc(),
    countAnomaly: (kind) => anomalies.inc({ kind }),
    addGauge(name, help, labelNames, collect) {
      new prometheus.Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          await collect(this);
        },
      });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** Metrics that collect nothing, for CLI commands on the data directory. */
export function noMetrics(): Metrics {
  const ignore = () => {};
  return {
    countVerification: ignore,
    observeVerifyDuration: ignore,
    startFlushTimer: () => ignore,
    countDroppedUse: ignore,
    countAnomaly: ignore,
    addGauge: ignore,
    render: async () => null,
  };
}

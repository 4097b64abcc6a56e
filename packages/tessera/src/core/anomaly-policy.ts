import { validationError } from './errors.js';

export const anomalyKinds = ['rate_spike', 'new_network', 'retired_token_presented', 'failed_verification_burst', 'new_scope'] as const;
export type AnomalyKind = (typeof anomalyKinds)[number];

export const anomalyResponses = ['alert', 'suspend', 'rotate'] as const;
/** The response to a finding on a token: raise the event only, suspend the token, or rotate it. */
export type AnomalyResponse = (typeof anomalyResponses)[number];

/** Anomaly detection settings of a keyspace policy. */
export interface AnomalyPolicy {
  response: AnomalyResponse;
  /**
   * With the rotate response: rotate on any single finding. Without it only on strong evidence,
   * which is two detectors firing for the token in the same batch (a spike from a new network).
   */
  rotateOnSuspicion: boolean;
  /** Grace period of the token rotated away by the rotate response. */
  rotationGracePeriodSeconds: number;
  /** Time from a token's first recorded use during which the spike, network and scope detectors only learn. */
  learningPeriodSeconds: number;
  /** One finding per token (or address), kind and period of this length. */
  dedupePeriodSeconds: number;
  rateSpike: { enabled: boolean; factor: number; floorPerMinute: number };
  newNetwork: { enabled: boolean };
  retiredToken: { enabled: boolean };
  failureBurst: { enabled: boolean; perMinute: number };
  newScope: { enabled: boolean };
}

export const defaultAnomalyPolicy: AnomalyPolicy = {
  response: 'alert',
  rotateOnSuspicion: false,
  rotationGracePeriodSeconds: 0,
  learningPeriodSeconds: 7 * 86400,
  dedupePeriodSeconds: 3600,
  rateSpike: { enabled: true, factor: 10, floorPerMinute: 60 },
  newNetwork: { enabled: true },
  retiredToken: { enabled: true },
  failureBurst: { enabled: true, perMinute: 30 },
  newScope: { enabled: true },
};

export type AnomalyPolicyInput = Partial<Omit<AnomalyPolicy, 'rateSpike' | 'newNetwork' | 'retiredToken' | 'failureBurst' | 'newScope'>> & {
  rateSpike?: Partial<AnomalyPolicy['rateSpike']> | undefined;
  newNetwork?: Partial<AnomalyPolicy['newNetwork']> | undefined;
  retiredToken?: Partial<AnomalyPolicy['retiredToken']> | undefined;
  failureBurst?: Partial<AnomalyPolicy['failureBurst']> | undefined;
  newScope?: Partial<AnomalyPolicy['newScope']> | undefined;
};

/** Fills the settings a keyspace policy leaves out with the defaults, detector by detector. */
export function resolveAnomalyPolicy(input: AnomalyPolicyInput | undefined): AnomalyPolicy {
  const settings = input ?? {};
  return {
    ...defaultAnomalyPolicy,
    ...settings,
    rateSpike: { ...defaultAnomalyPolicy.rateSpike, ...settings.rateSpike },
    newNetwork: { ...defaultAnomalyPolicy.newNetwork, ...settings.newNetwork },
    retiredToken: { ...defaultAnomalyPolicy.retiredToken, ...settings.retiredToken },
    failureBurst: { ...defaultAnomalyPolicy.failureBurst, ...settings.failureBurst },
    newScope: { ...defaultAnomalyPolicy.newScope, ...settings.newScope },
  };
}

/** Checks what the request schema cannot: a spike factor must exceed 1 to mean a rise. */
export function validateAnomalyPolicy(field: string, input: AnomalyPolicyInput): void {
  if (input.rateSpike?.factor !== undefined && input.rateSpike.factor <= 1) {
    throw validationError(`${field}.rateSpike.factor`, `must be greater than 1, got ${input.rateSpike.factor}; e.g. 10 flags ten times the usual rate`);
  }
}

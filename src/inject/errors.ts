import { FaultlineError } from '../plan/index.js';

/** The error fault kinds an injector can raise. */
export const errorFaultTypes = ['network_timeout', 'service_unavailable', 'data_corruption', 'resource_exhaustion', 'random_error'] as const;
export type ErrorFaultType = (typeof errorFaultTypes)[number];

const CODES = {
  network_timeout: 'FL_ERR_INJECT_NETWORK_TIMEOUT',
  service_unavailable: 'FL_ERR_INJECT_SERVICE_UNAVAILABLE',
  data_corruption: 'FL_ERR_INJECT_DATA_CORRUPTION',
  resource_exhaustion: 'FL_ERR_INJECT_RESOURCE_EXHAUSTION',
  random_error: 'FL_ERR_INJECT_RANDOM_ERROR',
} as const satisfies Record<ErrorFaultType, string>;

const MESSAGES: Record<ErrorFaultType, string> = {
  network_timeout: 'injected fault: the network call timed out',
  service_unavailable: 'injected fault: the service is unavailable',
  data_corruption: 'injected fault: the response data is corrupt',
  resource_exhaustion: 'injected fault: a resource is exhausted',
  random_error: 'injected fault: an unexpected error',
};

/** Error kinds that `classify` (faultline/resilience) calls retryable. */
const RETRYABLE: Record<ErrorFaultType, boolean> = {
  network_timeout: true,
  service_unavailable: true,
  resource_exhaustion: true,
  data_corruption: false,
  random_error: false,
};

/** An error an injector raised on purpose; `faultType` names the kind, `code` is `FL_ERR_INJECT_<KIND>`. */
export class FaultInjectionError extends FaultlineError {
  override readonly name = 'FaultInjectionError';
  readonly faultType: ErrorFaultType;
  /** Whether a retry may help (what `classify` says too). */
  readonly retryable: boolean;
  constructor(faultType: ErrorFaultType, message?: string) {
    super(CODES[faultType], message ?? MESSAGES[faultType], { details: { fault_type: faultType, injected: true } });
    this.faultType = faultType;
    this.retryable = RETRYABLE[faultType];
  }
}

/** True for errors an injector raised. */
export function isFaultInjectionError(err: unknown): err is FaultInjectionError {
  return err instanceof FaultInjectionError;
}

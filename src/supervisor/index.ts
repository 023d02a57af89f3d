/**
 * The supervisor: spawns the configured processes in their own process groups, health-checks
 * them, restarts them per policy (immediately, then with backoff; fatal after max_restarts),
 * records restarts and recovery times in `runs/<run_id>/manifest.json`, and applies the process
 * faults (kill, pause, restart). Runs without the executor too.
 */
export { createSupervisor, type SupervisorOptions } from './supervisor.js';
export {
  processConfigSchema,
  processesConfigSchema,
  parseProcessesConfig,
  configHash,
  stopSignals,
  type ProcessConfig,
  type ProcessConfigWire,
  type HealthConfig,
  type RestartConfig,
} from './config.js';
export { applyProcessPlan, processFaultTypes, type ProcessFaultHandle } from './apply-plan.js';
export {
  ProcessNotFoundError,
  ProcessStateError,
  ProcessHealthTimeoutError,
  SupervisorStoppedError,
  UnsupportedProcessFaultError,
} from './errors.js';
export { RestartPolicy, type RestartDecision } from './restart-policy.js';
export { runHealthCheck, type CheckResult } from './health.js';
export type { Manifest, ManifestEvent, ManifestProcess, ManifestRestart } from './manifest.js';
export type { ProcessState, Health, ProcessInfo, SupervisorEvent, Supervisor, Disposable, SupervisorLogger } from './types.js';

import type { Command } from 'commander';
import { callExecutor, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** An application's status as the executor's API answers it (snake_case). */
interface WireStatus {
  apply_id: string;
  status: string;
  service?: string;
  fault_type?: string;
  start_time?: string | null;
  end_time?: string | null;
  error_msg?: string | null;
}

/** An application's metrics as the API answers them. */
interface WireMetrics {
  apply_id: string;
  requests: number;
  faulted: number;
  error_rate: number;
  latency_ms: { p50: number; p99: number };
}

const path = (id: string, tail = ''): string => `v1/faults/${encodeURIComponent(id)}${tail}`;

function statusLine(s: WireStatus): string {
  const what = s.service !== undefined && s.fault_type !== undefined ? `  ${s.fault_type} on ${s.service}` : '';
  return `${s.apply_id}  ${s.status.padEnd(9)}  ${s.start_time ?? '-'} .. ${s.end_time ?? '-'}${what}${s.error_msg ? `  (${s.error_msg})` : ''}`;
}

/**
 * `faultline faults [ls|status|metrics|cancel]`: read and cancel fault applications. `--json`
 * prints the executor's answer as it is.
 */
export function registerFaults(program: Command): void {
  const faults = program.command('faults').description('list, inspect and cancel fault applications');

  withExecutorOptions(faults.command('ls', { isDefault: true }).description('list applications (newest first, as the executor keeps them)')).action(
    async (opts: ExecutorCliOptions) => {
      const body = await callExecutor<{ faults?: WireStatus[] } | WireStatus[]>(opts, 'GET', 'v1/faults');
      const list = Array.isArray(body) ? body : (body.faults ?? []);
      print(opts, Array.isArray(body) ? { faults: list } : body, list.length === 0 ? 'no fault applications' : list.map(statusLine).join('\n'));
    },
  );

  withExecutorOptions(faults.command('status').argument('<apply_id>').description("an application's status")).action(
    async (id: string, opts: ExecutorCliOptions) => {
      const s = await callExecutor<WireStatus>(opts, 'GET', path(id, '/status'));
      print(opts, s, statusLine(s));
    },
  );

  withExecutorOptions(faults.command('metrics').argument('<apply_id>').description("what an application's fault saw")).action(
    async (id: string, opts: ExecutorCliOptions) => {
      const m = await callExecutor<WireMetrics>(opts, 'GET', path(id, '/metrics'));
      print(
        opts,
        m,
        `${m.apply_id}: ${m.faulted}/${m.requests} faulted, error rate ${m.error_rate.toFixed(3)}, p50 ${m.latency_ms.p50} ms, p99 ${m.latency_ms.p99} ms`,
      );
    },
  );

  withExecutorOptions(faults.command('cancel').argument('<apply_id>').description('cancel an application: its fault is reverted at once')).action(
    async (id: string, opts: ExecutorCliOptions) => {
      const s = await callExecutor<WireStatus>(opts, 'DELETE', path(id));
      print(opts, s, `${s.apply_id ?? id} ${s.status ?? 'cancelled'}`);
    },
  );
}

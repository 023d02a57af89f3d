/**
 * The executor's Prometheus metrics on the telemetry registry: active faults, applications by
 * status, per-proxy requests/bytes/faulted (read from the proxies' totals at scrape time, so the
 * data path does no extra work), and API request counts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Applications } from './applications.js';
import type { Policies } from './policies.js';
import type { ProxyManager } from './proxies.js';
import type { Store } from './store.js';

/** What the API hook counts into. */
export interface ExecutorMetrics {
  readonly apiRequests: Counter<'method' | 'route' | 'status_code'>;
}

/** Registers the executor's metrics; the per-scrape values come from `collect()`. */
export function registerExecutorMetrics(
  registry: Registry,
  sources: { applications?: Applications; policies?: Policies; proxies?: ProxyManager; store?: Store },
): ExecutorMetrics {
  const { applications, policies, proxies, store } = sources;
  new Gauge({
    name: 'faultline_active_faults',
    help: 'Fault applications in effect now',
    registers: [registry],
    collect() {
      this.set(applications?.activeCount() ?? 0);
    },
  });
  new Gauge({
    name: 'faultline_policies_installed',
    help: 'Standing policies installed now',
    registers: [registry],
    collect() {
      this.set(policies?.installedCount() ?? 0);
    },
  });
  new Gauge({
    name: 'faultline_applications',
    help: 'Fault applications by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      if (!store) return;
      try {
        for (const [status, n] of Object.entries(store.countByStatus())) this.set({ status }, n);
      } catch {
        // The store is not readable this instant (locked): keep the last values.
      }
    },
  });
  new Gauge({
    name: 'faultline_store_errors',
    help: 'State store writes that failed after their retries (the faults were still reverted)',
    registers: [registry],
    collect() {
      this.set(store?.errorCount ?? 0);
    },
  });
  const perProxy = (name: string, help: string, read: (s: ReturnType<NonNullable<typeof proxies>['list']>[number]) => Array<[Record<string, string>, number]>) =>
    new Counter({
      name,
      help,
      labelNames: ['proxy', 'protocol', 'direction'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of proxies?.list() ?? []) for (const [labels, v] of read(p)) if (v > 0) this.inc({ proxy: p.name, protocol: p.protocol, ...labels }, v);
      },
    });
  perProxy('faultline_proxy_requests_total', 'Requests (HTTP) or connections (TCP) through each proxy', (p) => [[{}, p.stats().requests]]);
  perProxy('faultline_proxy_faulted_total', 'Requests or connections a fault acted on, per proxy', (p) => [[{}, p.stats().faulted]]);
  perProxy('faultline_proxy_bytes_total', 'Bytes through each proxy (in: client to upstream, out: upstream to client)', (p) => {
    const s = p.stats();
    return [
      [{ direction: 'in' }, s.bytesIn],
      [{ direction: 'out' }, s.bytesOut],
    ];
  });
  const apiRequests = new Counter({
    name: 'faultline_api_requests_total',
    help: 'Executor API requests by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  return { apiRequests };
}

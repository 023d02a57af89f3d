/**
 * Turns a validated plan into an effect on its target and back: a toxic on a TCP proxy, a rule on
 * an HTTP proxy, the proxy held down, or a signal to a supervised process. The framework (this
 * file and the scheduler) owns ids, timing and reverting; the proxy and supervisor own the effect.
 */
import { defaultRegistry, type FaultPlan } from '../plan/index.js';
import { installPlan, type Proxy } from '../proxy/index.js';
import { applyProcessPlan, type Supervisor } from '../supervisor/index.js';
import { FaultMismatchError, NoSupervisorError, NotFoundError } from './errors.js';
import type { ProxyManager } from './proxies.js';

/** What a plan acts on. */
export type Target = { readonly kind: 'proxy'; readonly proxy: Proxy } | { readonly kind: 'process'; readonly name: string };

/** An installed fault. `oneShot` faults (kill, restart) are over once installed. */
export interface Installed {
  readonly oneShot: boolean;
  revert(): Promise<void>;
}

/**
 * Finds the plan's target and checks the fault fits it.
 * @throws NotFoundError (404) for an unknown service; FaultMismatchError (400, path fault_type) when the fault does not fit.
 */
export function resolveTarget(plan: FaultPlan, proxies: ProxyManager, supervisor: Supervisor | undefined): Target {
  const wants = defaultRegistry.get(plan.faultType).target;
  const proxy = proxies.get(plan.service);
  if (proxy) {
    if (wants !== proxy.protocol) throw new FaultMismatchError(plan.faultType, `${proxy.protocol} proxy`, plan.service);
    return { kind: 'proxy', proxy };
  }
  if (supervisor?.get(plan.service)) {
    if (wants !== 'process') throw new FaultMismatchError(plan.faultType, 'process', plan.service);
    return { kind: 'process', name: plan.service };
  }
  if (wants === 'process' && supervisor === undefined) throw new NoSupervisorError(plan.service);
  throw new NotFoundError('service', plan.service);
}

/**
 * Installs `plan` on `target` under `faultId` (the toxic name / rule id).
 */
export async function install(
  target: Target,
  faultId: string,
  plan: FaultPlan,
  deps: { proxies: ProxyManager; supervisor: Supervisor | undefined },
): Promise<Installed> {
  if (target.kind === 'process') return installProcessFault(target.name, plan, deps.supervisor);
  const proxy = target.proxy;
  if (defaultRegistry.get(plan.faultType).listener === true) {
    const release = await deps.proxies.holdDown(proxy.name);
    return { oneShot: false, revert: release };
  }
  // Toxics and rules: the proxy module's installPlan (toxic/rule id = faultId). The proxy may be
  // replaced by an update (faults copied over) in the meantime, so revert on the current one too.
  const remove = installPlan(proxy, plan, faultId);
  return {
    oneShot: false,
    revert: async () => {
      remove();
      const current = deps.proxies.get(proxy.name);
      if (current === undefined || current === proxy) return;
      if (current.protocol === 'tcp') current.removeToxic(faultId);
      else current.removeRule(faultId);
    },
  };
}

async function installProcessFault(name: string, plan: FaultPlan, supervisor: Supervisor | undefined): Promise<Installed> {
  if (!supervisor) throw new NoSupervisorError(name);
  return applyProcessPlan(supervisor, plan);
}

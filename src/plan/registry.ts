import type { FaultTarget, FaultTypeDef } from './fault-type.js';
import { UnknownFaultTypeError } from './errors.js';
import { abort } from './faults/abort.js';
import { bandwidth } from './faults/bandwidth.js';
import { delay } from './faults/delay.js';
import { down } from './faults/down.js';
import { kill } from './faults/kill.js';
import { latency } from './faults/latency.js';
import { limitData } from './faults/limit-data.js';
import { pause } from './faults/pause.js';
import { resetPeer } from './faults/reset-peer.js';
import { reset } from './faults/reset.js';
import { restart } from './faults/restart.js';
import { slicer } from './faults/slicer.js';
import { slowClose } from './faults/slow-close.js';
import { throttle } from './faults/throttle.js';
import { timeout } from './faults/timeout.js';

/**
 * The catalogue of DESIGN.md, one entry per fault type. Adding a fault type is adding one file
 * under `faults/` and one line here.
 */
export const builtinFaultTypes = [
  // tcp proxy toxics (Toxiproxy names and attributes)
  latency,
  bandwidth,
  slowClose,
  timeout,
  resetPeer,
  slicer,
  limitData,
  down,
  // http proxy faults
  delay,
  abort,
  reset,
  throttle,
  // process faults
  kill,
  pause,
  restart,
] as const;

/** A wire id of a built-in fault type: `latency`, `reset_peer`, `delay`, `kill`, … */
export type FaultType = (typeof builtinFaultTypes)[number]['type'];

/** An explicit registry of fault types, keyed by wire id. No registration by import side effect. */
export class FaultRegistry {
  readonly #byType: ReadonlyMap<string, FaultTypeDef>;

  constructor(defs: readonly FaultTypeDef[]) {
    const byType = new Map<string, FaultTypeDef>();
    for (const def of defs) {
      if (byType.has(def.type)) throw new Error(`fault type '${def.type}' registered twice`);
      byType.set(def.type, def);
    }
    this.#byType = byType;
  }

  /** @throws UnknownFaultTypeError when no entry has this id. */
  get(type: string): FaultTypeDef {
    const def = this.#byType.get(type);
    if (!def) throw new UnknownFaultTypeError(type, this.types());
    return def;
  }

  has(type: string): boolean {
    return this.#byType.has(type);
  }

  /** Every registered wire id, in registration order. */
  types(): string[] {
    return [...this.#byType.keys()];
  }

  /** Every entry, optionally only those for one target. */
  list(target?: FaultTarget): FaultTypeDef[] {
    const all = [...this.#byType.values()];
    return target === undefined ? all : all.filter((d) => d.target === target);
  }
}

/** The registry of every built-in fault type. */
export const defaultRegistry = new FaultRegistry(builtinFaultTypes);

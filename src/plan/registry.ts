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

type Builtin = (typeof builtinFaultTypes)[number];

/** A wire id of a built-in fault type: `latency`, `reset_peer`, `delay`, `kill`, … */
export type FaultType = Builtin['type'];
/** The fault types of one target, e.g. `FaultTypeOf<'http'>` = `'delay' | 'abort' | 'reset' | 'throttle'`. */
export type FaultTypeOf<G extends FaultTarget> = Extract<Builtin, { target: G }>['type'];
/** TCP faults that act on the proxy's listener rather than on the stream (`down`). */
export type ListenerFaultType = Extract<Builtin, { listener?: true }>['type'];
/** TCP toxics: TCP faults that act on the stream (Toxiproxy's toxic types). */
export type ToxicType = Exclude<FaultTypeOf<'tcp'>, ListenerFaultType>;
/** HTTP fault types. */
export type HttpFaultType = FaultTypeOf<'http'>;
/** Process fault types. */
export type ProcessFaultType = FaultTypeOf<'process'>;

function idsWhere<T extends FaultType>(keep: (d: Builtin) => boolean): readonly T[] {
  return Object.freeze(builtinFaultTypes.filter(keep).map((d) => d.type as T));
}

/** Every TCP toxic type id, in registry order (what the Toxiproxy API and `--toxic` accept). */
export const toxicTypes: readonly ToxicType[] = idsWhere<ToxicType>((d) => d.target === 'tcp' && d.listener !== true);
/** Every listener fault type id (`down`). */
export const listenerFaultTypes: readonly ListenerFaultType[] = idsWhere<ListenerFaultType>((d) => d.listener === true);
/** Every HTTP fault type id, in registry order. */
export const httpFaultTypes: readonly HttpFaultType[] = idsWhere<HttpFaultType>((d) => d.target === 'http');
/** Every process fault type id, in registry order. */
export const processFaultTypes: readonly ProcessFaultType[] = idsWhere<ProcessFaultType>((d) => d.target === 'process');

/** Whether `type` is a TCP toxic type. */
export function isToxicType(type: string): type is ToxicType {
  return (toxicTypes as readonly string[]).includes(type);
}
/** Whether `type` is an HTTP fault type. */
export function isHttpFaultType(type: string): type is HttpFaultType {
  return (httpFaultTypes as readonly string[]).includes(type);
}
/** Whether `type` is a listener fault type (`down`). */
export function isListenerFaultType(type: string): type is ListenerFaultType {
  return (listenerFaultTypes as readonly string[]).includes(type);
}

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

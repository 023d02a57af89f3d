/**
 * What an HTTP fault is: a definition (type id + `create`) that turns a rule's config into the
 * effect the proxy applies to each request the rule faults. The proxy knows effects (hold, answer,
 * reset, transform the body), never fault types, so a new HTTP fault is one file under `faults/`
 * built from these effects, plus its line in `faults/index.ts` and in the plan registry.
 */
import type { Transform } from 'node:stream';
import type { FaultConfigOf } from '../../plan/index.js';
import type { HttpFaultType } from '../types.js';

/** A body transform that can let go of what it holds when its rule is removed. */
export interface ReleasableTransform extends Transform {
  /** The rule was removed: stop holding back bytes (never drop one). */
  release(): void;
}

/** What a fault does to one request it faults. Effects combine; each is optional. */
export interface HttpFaultEffect {
  /** `request`: before the upstream is called; `response`: once the upstream answered. */
  readonly phase: 'request' | 'response';
  /**
   * Holds the request (request phase) or the response head and body (response phase) this many
   * ms; released at once when the rule is removed.
   */
  readonly delayMs?: () => number;
  /** Answers with this status and body instead of the upstream (response phase: its body is dropped). */
  readonly answer?: { readonly status: number; readonly body: string | undefined };
  /** Destroys the client connection without an answer (response phase: after the upstream answered). */
  readonly reset?: true;
  /** Passes the response body through a fresh transform (either phase). */
  readonly body?: () => ReleasableTransform;
}

/** An HTTP fault type: one file under `faults/`, one line in `faults/index.ts`. */
export interface HttpFaultDef<T extends HttpFaultType = HttpFaultType> {
  readonly type: T;
  /** Called once per rule (not per request), with the rule's validated code-form config. */
  create(config: FaultConfigOf<T>): HttpFaultEffect;
}

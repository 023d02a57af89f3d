/**
 * The registry of HTTP faults: one entry per file in this folder, listed explicitly (no
 * registration by import side effect). The mapped type over the plan registry's HTTP fault types
 * makes a registered type without an implementation a compile error.
 */
import type { HttpFaultType } from '../../types.js';
import type { HttpFaultDef } from '../fault.js';
import { abort } from './abort.js';
import { delay } from './delay.js';
import { reset } from './reset.js';
import { throttle } from './throttle.js';

/** Every HTTP fault, keyed by its type id. */
export const httpFaultRegistry: { readonly [T in HttpFaultType]: HttpFaultDef<T> } = {
  delay,
  abort,
  reset,
  throttle,
};

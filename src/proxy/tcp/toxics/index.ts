/**
 * The registry of TCP toxics: one entry per file in this folder, listed explicitly (no
 * registration by import side effect). Adding a toxic is one file and one line here, plus its
 * attribute schema in `src/plan/faults/` and one line in `src/plan/registry.ts`; the mapped type
 * over the plan registry's `ToxicType` makes a registered toxic without a line here a compile error.
 */
import type { ToxicType } from '../../types.js';
import type { ToxicDef } from '../toxic.js';
import { bandwidth } from './bandwidth.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { resetPeer } from './reset-peer.js';
import { slicer } from './slicer.js';
import { slowClose } from './slow-close.js';
import { timeout } from './timeout.js';

/** Every TCP toxic, keyed by its Toxiproxy type id. */
export const toxicRegistry: { readonly [T in ToxicType]: ToxicDef<T> } = {
  latency,
  bandwidth,
  slow_close: slowClose,
  timeout,
  reset_peer: resetPeer,
  slicer,
  limit_data: limitData,
};

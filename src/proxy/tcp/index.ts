/** The TCP proxy: Toxiproxy's toxics on a Node data path with a no-toxic fast path. */
export { createTcpProxy, normalizeToxicSpec } from './tcp-proxy.js';
export { toxicRegistry } from './toxics/index.js';
export type { ToxicDef, ToxicStage, ToxicContext, ToxicConfig, StageOutput } from './toxic.js';

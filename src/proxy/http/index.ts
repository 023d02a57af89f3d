/** The HTTP fault proxy: route-aware faults per request, one file per fault type under `faults/`. */
export { createHttpProxy, type HttpProxyOptions, type ProxyErrorBody } from './http-proxy.js';
export type { HttpFaultDef, HttpFaultEffect, ReleasableTransform } from './fault.js';
export { httpFaultRegistry } from './faults/index.js';

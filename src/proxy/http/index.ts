/** The HTTP fault proxy: route-aware delay, abort, reset and throttle faults per request. */
export { createHttpProxy, parseHostPort, type HttpProxyOptions, type ProxyErrorBody } from './http-proxy.js';
export { compilePath } from './matcher.js';
export { delaySampler } from './delay.js';

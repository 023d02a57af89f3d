/** The HTTP fault proxy: route-aware delay, abort, reset and throttle faults per request. */
export { createHttpProxy, type HttpProxyOptions, type ProxyErrorBody } from './http-proxy.js';

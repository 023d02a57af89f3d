export { retry } from '../../src/resilience/index.js';

/** A matcher for `toThrow`: the message names the bad option path. */
export function ValidationErrorLike(path: string): RegExp {
  return new RegExp(`invalid policy options:\\n\\s+${path}:`);
}

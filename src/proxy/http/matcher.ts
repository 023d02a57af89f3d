/**
 * Precompiled request matchers for HTTP fault rules, so that 100 rules that do not match cost
 * a few string compares per request.
 *
 * Path patterns (matched against the path without the query string):
 * - no `*`: exact match;
 * - `*` matches any run of characters except `/` (one segment, or part of one);
 * - `**` matches any run of characters, `/` included (any depth);
 * - the pattern `*` (or `**`) alone matches every path.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A compiled matcher: method, path and headers of one rule. */
export interface RequestMatcher {
  matches(method: string | undefined, path: string, headers: IncomingHttpHeaders): boolean;
}

type PathTest = (path: string) => boolean;

/** Compiles a path pattern (see the file comment) into a test function. */
export function compilePath(pattern: string): PathTest {
  if (pattern === '*' || pattern === '**' || pattern === '/**') return () => true;
  if (!pattern.includes('*')) return (p) => p === pattern;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        src += '.*';
        i++;
      } else {
        src += '[^/]*';
      }
    } else {
      src += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const re = new RegExp(`${src}$`);
  // Most paths fail on the literal prefix before the first `*`: check it without the regex.
  const prefix = pattern.slice(0, pattern.indexOf('*'));
  return (p) => p.startsWith(prefix) && re.test(p);
}

/** Compiles a rule's method, path pattern and headers (names any case, exact values). */
export function compileMatcher(spec: { method?: string; path?: string; headers?: Readonly<Record<string, string>> }): RequestMatcher {
  const method = spec.method?.toUpperCase();
  const path = spec.path === undefined ? undefined : compilePath(spec.path);
  const names: string[] = [];
  const values: string[] = [];
  for (const [k, v] of Object.entries(spec.headers ?? {})) {
    names.push(k.toLowerCase());
    values.push(v);
  }
  const n = names.length;
  return {
    matches(m, p, h) {
      if (method !== undefined && m !== method) return false;
      if (path !== undefined && !path(p)) return false;
      for (let i = 0; i < n; i++) {
        const got = h[names[i] as string];
        const want = values[i] as string;
        if (got === undefined) return false;
        if (typeof got === 'string' ? got !== want : !got.includes(want)) return false;
      }
      return true;
    },
  };
}

/** The path part of a request target (`/a/b?x=1` -> `/a/b`). */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

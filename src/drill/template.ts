/**
 * `{{ ... }}` templates in drill files, compiled once and rendered many times (the load
 * generator renders one per request, so rendering is a loop over precompiled parts).
 *
 * Expressions: `seq`, `uuid`, `now`, `now_ms`, `random_int MIN MAX`, `random MIN MAX [DECIMALS]`,
 * and dotted paths under the roots `env`, `steps`, `results`, `vars`, `recent`, `run`,
 * `proxies`, `executor`. `a || b` falls back to `b` (a path or a literal) when `a` is empty.
 * A template that is exactly one expression yields the raw value (a number stays a number).
 */
import { randomUUID } from 'node:crypto';

/** What an expression can read. Only `env` is always present. */
export interface TemplateContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly seq?: number;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly steps?: Readonly<Record<string, unknown>>;
  readonly results?: Readonly<Record<string, unknown>>;
  readonly run?: Readonly<Record<string, unknown>>;
  readonly proxies?: Readonly<Record<string, unknown>>;
  readonly executor?: Readonly<Record<string, unknown>>;
  /** `recent.<template>.<var>`: a var of a recently acknowledged request of that template. */
  readonly recent?: (template: string, name: string) => unknown;
}

/** Roots an expression may start with. */
export const templateRoots = ['seq', 'uuid', 'now', 'now_ms', 'random_int', 'random', 'env', 'steps', 'results', 'vars', 'recent', 'run', 'proxies', 'executor'] as const;

type Part = string | ((ctx: TemplateContext) => unknown);

/** A compiled template. */
export interface Template {
  readonly source: string;
  /** True when the source has no `{{ }}`: rendering returns it unchanged. */
  readonly constant: boolean;
  /** The expressions it uses, as written. */
  readonly expressions: readonly string[];
  render(ctx: TemplateContext): unknown;
  renderString(ctx: TemplateContext): string;
}

const EXPR = /\{\{\s*([^}]*?)\s*\}\}/g;

/** A missing value or a bad expression at render time. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function getPath(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object') return undefined;
    v = Array.isArray(v) && /^\d+$/.test(key) ? v[Number(key)] : (v as Record<string, unknown>)[key];
  }
  return v;
}

function literal(token: string): { ok: true; value: unknown } | { ok: false } {
  if (/^-?\d+(\.\d+)?$/.test(token)) return { ok: true, value: Number(token) };
  const m = /^'(.*)'$|^"(.*)"$/.exec(token);
  if (m) return { ok: true, value: m[1] ?? m[2] ?? '' };
  if (token === 'true' || token === 'false') return { ok: true, value: token === 'true' };
  if (token === 'null') return { ok: true, value: null };
  return { ok: false };
}

function compileTerm(expr: string): (ctx: TemplateContext) => unknown {
  const lit = literal(expr);
  if (lit.ok) return () => lit.value;
  const words = expr.split(/\s+/);
  const head = words[0] ?? '';
  if (head === 'random_int' || head === 'random') {
    const [lo, hi, dec] = words.slice(1).map(Number);
    if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new TemplateError(`'${expr}': give ${head} MIN MAX`);
    if (head === 'random_int') return () => Math.floor(lo + Math.random() * (hi - lo + 1));
    const f = 10 ** (dec ?? 2);
    return () => Math.round((lo + Math.random() * (hi - lo)) * f) / f;
  }
  if (words.length > 1) throw new TemplateError(`'${expr}' is not an expression`);
  const [root, ...path] = head.split('.');
  switch (root) {
    case 'seq':
      return (ctx) => ctx.seq;
    case 'uuid':
      return () => randomUUID();
    case 'now':
      return () => new Date().toISOString();
    case 'now_ms':
      return () => Date.now();
    case 'recent': {
      const [tpl, name] = path;
      if (tpl === undefined || name === undefined) throw new TemplateError(`'${expr}': write recent.<template>.<var>`);
      return (ctx) => ctx.recent?.(tpl, name);
    }
    case 'env':
    case 'steps':
    case 'results':
    case 'vars':
    case 'run':
    case 'proxies':
    case 'executor':
      return (ctx) => getPath(ctx[root], path);
    default:
      throw new TemplateError(`'${expr}': unknown name '${root ?? ''}'; expected one of ${templateRoots.join(', ')}`);
  }
}

function compileExpr(expr: string): (ctx: TemplateContext) => unknown {
  const alternatives = expr.split('||').map((s) => s.trim());
  const terms = alternatives.map(compileTerm);
  if (terms.length === 1) return terms[0]!;
  return (ctx) => {
    for (const t of terms) {
      const v = t(ctx);
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return undefined;
  };
}

/** Options of {@link compileTemplate}. */
export interface CompileOptions {
  /** Applied to every expression's value in `renderString` (shell quoting for a string `run:`). */
  readonly escape?: (value: string) => string;
}

/**
 * Compiles a template string.
 * @throws TemplateError naming the bad expression.
 */
export function compileTemplate(source: string, options: CompileOptions = {}): Template {
  const escape = options.escape;
  const parts: Part[] = [];
  const expressions: string[] = [];
  let last = 0;
  for (const m of source.matchAll(EXPR)) {
    if (m.index > last) parts.push(source.slice(last, m.index));
    const expr = m[1] ?? '';
    expressions.push(expr);
    const fn = compileExpr(expr);
    parts.push((ctx) => {
      const v = fn(ctx);
      if (v === undefined) throw new TemplateError(`{{${expr}}} has no value`);
      return v;
    });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const constant = expressions.length === 0;
  const single = parts.length === 1 && typeof parts[0] === 'function' ? parts[0] : undefined;
  const renderString = (ctx: TemplateContext): string => {
    if (constant) return source;
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : escape ? escape(stringify(p(ctx))) : stringify(p(ctx));
    return out;
  };
  return {
    source,
    constant,
    expressions,
    render: single && !escape ? (ctx) => single(ctx) : renderString,
    renderString,
  };
}

function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The expressions in a string, without compiling (for validation). */
export function templateExpressions(source: string): string[] {
  return [...source.matchAll(EXPR)].map((m) => m[1] ?? '');
}

/** Why an expression is invalid, or undefined when it compiles. */
export function checkExpression(expr: string): string | undefined {
  try {
    compileExpr(expr);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Quotes a value as one POSIX shell word: `'...'`, an inner `'` written `'\''`. Inside single
 * quotes the shell expands nothing (`$(...)`, `;`, backticks, globs stay text).
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Roots whose values come from outside the drill file (a service's answer, a command's output):
 * they never reach a shell unquoted, SQL text, or a deletion outside the run's folders.
 */
export const outsideRoots: ReadonlySet<string> = new Set(['steps', 'results', 'recent']);

/** The roots an expression reads (one per `||` alternative that is not a literal). */
export function expressionRoots(expr: string): string[] {
  return expr
    .split('||')
    .map((s) => s.trim())
    .filter((s) => !literal(s).ok)
    .map((s) => s.split(/[.\s]/)[0] ?? '');
}

/**
 * Renders an activity (probe, step or check) once. A string `run:` (a shell command) gets every
 * template value shell-quoted, so an answer like `42; touch /tmp/x` stays one argument.
 * @throws TemplateError
 */
export function renderActivity<T>(activity: T, ctx: TemplateContext): T {
  const a = activity as { run?: unknown };
  if (activity === null || typeof activity !== 'object' || typeof a.run !== 'string') return renderValue(activity, ctx) as T;
  const { run, ...rest } = a as { run: string };
  return { ...(renderValue(rest, ctx) as object), run: compileTemplate(run, { escape: shellQuote }).renderString(ctx) } as T;
}

/** A compiled deep value: every string leaf of an object/array is a template. */
export type CompiledValue = (ctx: TemplateContext) => unknown;

/** Compiles every string inside `value` (objects, arrays) into one render function. */
export function compileValue(value: unknown): CompiledValue {
  if (typeof value === 'string') {
    const t = compileTemplate(value);
    return t.constant ? () => value : (ctx) => t.render(ctx);
  }
  if (Array.isArray(value)) {
    const items = value.map(compileValue);
    return (ctx) => items.map((f) => f(ctx));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileValue(v)] as const);
    return (ctx) => {
      const out: Record<string, unknown> = {};
      for (const [k, f] of entries) out[k] = f(ctx);
      return out;
    };
  }
  return () => value;
}

/** Renders every string inside `value` once. @throws TemplateError */
export function renderValue(value: unknown, ctx: TemplateContext): unknown {
  return compileValue(value)(ctx);
}

/** Every template expression inside a deep value, with its path. */
export function collectExpressions(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; expr: string }[] {
  if (typeof value === 'string') return templateExpressions(value).map((expr) => ({ path, expr }));
  if (Array.isArray(value)) return value.flatMap((v, i) => collectExpressions(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => collectExpressions(v, [...path, k]));
  return [];
}

const KEEP_STRINGS = new Set(['env', 'args', 'command', 'cwd', 'name']);

function stringsOnly(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(stringsOnly);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringsOnly(v)]));
  return value;
}

/** Replaces numeric-looking strings from whole-string templates by numbers (ports in configs). */
function coerceNumbers(value: unknown, original: unknown): unknown {
  if (typeof original === 'string' && /^\s*\{\{[^}]*\}\}\s*$/.test(original) && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (Array.isArray(value) && Array.isArray(original)) return value.map((v, i) => coerceNumbers(v, original[i]));
  if (value !== null && typeof value === 'object' && original !== null && typeof original === 'object') {
    const out: Record<string, unknown> = {};
    // Environment values, arguments and commands are strings whatever they look like.
    for (const [k, v] of Object.entries(value)) out[k] = KEEP_STRINGS.has(k) ? stringsOnly(v) : coerceNumbers(v, (original as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * Renders an executor config: numeric-looking results of whole-string templates become numbers
 * (`port: "{{env.PORT}}"`), except under `env`, `args`, `command`, `cwd` and `name`, which stay
 * strings. @throws TemplateError
 */
export function renderConfig(config: unknown, ctx: TemplateContext): unknown {
  return coerceNumbers(renderValue(config, ctx), config);
}

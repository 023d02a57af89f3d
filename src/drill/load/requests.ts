/**
 * Load requests: the spec split into streams of weighted templates, each template compiled once
 * and rendered per request (`{{seq}}`, `{{vars.*}}`, `{{recent.*}}`).
 */
import type { Dispatcher } from 'undici';
import type { LoadSpec } from '../spec.js';
import { compileTemplate, compileValue, TemplateError, type CompiledValue, type Template, type TemplateContext } from '../template.js';
import { TemplateStats } from './stats.js';

/** One request template (a mix entry). */
export interface LoadTemplate {
  readonly name: string;
  readonly weight: number;
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly ack: boolean;
}

/** One stream: an arrival rate shared by weighted templates. */
export interface LoadStream {
  readonly name: string;
  readonly ratePerS: number;
  readonly templates: readonly LoadTemplate[];
}

/** An acknowledged (2xx) request of a template with `ack: true`. */
export interface AckRecord {
  readonly template: string;
  readonly seq: number;
  readonly status: number;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Epoch ms of completion. */
  readonly at: number;
}

/** Splits a load spec into streams of weighted templates. */
export function streamsFromSpec(spec: LoadSpec): LoadStream[] {
  type T = { name: string; weight?: number; url?: string; method?: string; headers?: Record<string, string>; body?: unknown; vars?: Record<string, unknown>; ack?: boolean };
  const tpl = (t: T, fallbackName: string): LoadTemplate => ({
    name: t.name || fallbackName,
    weight: t.weight ?? 1,
    url: t.url ?? '',
    method: t.method ?? 'GET',
    ...(t.headers !== undefined ? { headers: t.headers } : {}),
    ...(t.body !== undefined ? { body: t.body } : {}),
    ...(t.vars !== undefined ? { vars: t.vars } : {}),
    ack: t.ack ?? false,
  });
  const one = (s: T & { mix?: readonly T[] }, name: string, rate: number): LoadStream => ({
    name,
    ratePerS: rate,
    templates: s.mix ? s.mix.map((m) => tpl(m, m.name)) : [tpl({ ...s, name }, name)],
  });
  if (spec.streams) return spec.streams.map((s) => one(s as T & { mix?: T[] }, s.name, s.ratePerS));
  return [one({ ...(spec as unknown as T & { mix?: T[] }), name: 'load' }, 'load', spec.ratePerS ?? 1)];
}

/** Splits a URL template at the first `/` of its path (outside `{{ }}` and after `scheme://`). */
export function splitUrlTemplate(url: string): { origin: string; path: string } {
  let depth = 0;
  let i = /^[a-z]+:\/\//i.test(url) ? url.indexOf('//') + 2 : 0;
  for (; i < url.length; i++) {
    if (url.startsWith('{{', i)) {
      depth++;
      i++;
    } else if (url.startsWith('}}', i)) {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (depth === 0 && (url[i] === '/' || url[i] === '?')) break;
  }
  const path = url.slice(i);
  return { origin: url.slice(0, i), path: path.startsWith('?') ? `/${path}` : path };
}

const RECENT_MAX = 1000;

/** A request, rendered and ready to dispatch. */
export interface RenderedRequest {
  readonly opts: Dispatcher.DispatchOptions;
  readonly vars: Readonly<Record<string, unknown>> | undefined;
}

/** A compiled template, its statistics and its recently acknowledged vars. */
export class RequestTemplate {
  readonly origin: string;
  readonly stats = new TemplateStats();
  readonly #path: Template;
  readonly #method: Dispatcher.HttpMethod;
  readonly #headers: CompiledValue | undefined;
  readonly #body: CompiledValue | undefined;
  readonly #jsonBody: boolean;
  readonly #vars: [string, CompiledValue][];
  readonly #recent: Readonly<Record<string, unknown>>[] = [];
  #recentNext = 0;

  /** @throws TemplateError when the template does not compile or its origin is not http://host:port. */
  constructor(
    readonly def: LoadTemplate,
    ctx: TemplateContext,
  ) {
    // The origin is rendered once (one pool per origin); the path is rendered per request.
    const { origin: originSource, path: pathSource } = splitUrlTemplate(def.url);
    this.origin = compileTemplate(originSource).renderString(ctx).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(this.origin)) throw new TemplateError(`load url '${def.url}': '${this.origin}' is not an http://host:port origin`);
    this.#path = compileTemplate(pathSource || '/');
    this.#method = def.method as Dispatcher.HttpMethod;
    this.#headers = def.headers ? compileValue(def.headers) : undefined;
    this.#body = def.body !== undefined ? compileValue(def.body) : undefined;
    this.#jsonBody = def.body !== undefined && typeof def.body !== 'string';
    this.#vars = Object.entries(def.vars ?? {}).map(([k, v]) => [k, compileValue(v)]);
  }

  /** Whether rendering needs a context (anything but a constant path). */
  get dynamic(): boolean {
    return this.#vars.length > 0 || !this.#path.constant || this.#body !== undefined || this.#headers !== undefined;
  }

  /**
   * Renders request `seq`. @throws TemplateError when a value is missing (no `recent.*` yet):
   * the request is not sent.
   */
  render(base: TemplateContext | undefined, seq: number, recent: (template: string, name: string) => unknown): RenderedRequest {
    let ctx: TemplateContext | undefined;
    let vars: Record<string, unknown> | undefined;
    if (base) {
      ctx = { ...base, seq, recent };
      if (this.#vars.length > 0) {
        vars = {};
        ctx = { ...ctx, vars };
        for (const [k, f] of this.#vars) vars[k] = f(ctx);
      }
    }
    const path = this.#path.constant ? this.#path.source : this.#path.renderString(ctx!);
    let headers = this.#headers ? (this.#headers(ctx!) as Record<string, string>) : undefined;
    let body: string | undefined;
    if (this.#body) {
      const b = this.#body(ctx!);
      body = typeof b === 'string' ? b : JSON.stringify(b);
      if (this.#jsonBody) headers = { 'content-type': 'application/json', ...headers };
    }
    return { opts: { path, method: this.#method, headers: headers ?? null, body: body ?? null }, vars };
  }

  /** Keeps the vars of an acknowledged request for `recent.<template>.*` (a ring of 1000). */
  remember(vars: Readonly<Record<string, unknown>>): void {
    if (this.#recent.length < RECENT_MAX) this.#recent.push(vars);
    else {
      this.#recent[this.#recentNext] = vars;
      this.#recentNext = (this.#recentNext + 1) % RECENT_MAX;
    }
  }

  /** One random acknowledged request's vars, if any. */
  pickRecent(): Readonly<Record<string, unknown>> | undefined {
    return this.#recent.length > 0 ? this.#recent[Math.floor(Math.random() * this.#recent.length)] : undefined;
  }
}

/** A template drawn by weight (`cumWeights` are the running sums of the weights). */
export function pickWeighted(templates: readonly RequestTemplate[], cumWeights: readonly number[]): RequestTemplate {
  if (templates.length === 1) return templates[0]!;
  const total = cumWeights[cumWeights.length - 1] ?? 1;
  const r = Math.random() * total;
  for (let i = 0; i < cumWeights.length; i++) if (r < cumWeights[i]!) return templates[i]!;
  return templates[templates.length - 1]!;
}

/**
 * `recent.<template>.<var>` for one request: the first use picks a random acknowledged request
 * of that template, later uses in the same request read the same one (so `order_id` and
 * `amount` of a retried payment belong together).
 */
export function recentPicker(templates: readonly RequestTemplate[]): (template: string, name: string) => unknown {
  let picked: Map<string, Readonly<Record<string, unknown>> | undefined> | undefined;
  return (template, name) => {
    picked ??= new Map();
    if (!picked.has(template)) picked.set(template, templates.find((t) => t.def.name === template)?.pickRecent());
    return picked.get(template)?.[name];
  };
}

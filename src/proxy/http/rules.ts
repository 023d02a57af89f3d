/**
 * HTTP fault rules: validation of a {@link HttpRuleSpec}, its compiled matcher, and the per-rule
 * decision state (skip/count schedule, percentage, `max_active_faults` cap).
 */
import { ValidationError, defaultRegistry, fieldIssues, httpMethods, snakifyKeys, camelizeKeys, httpFaultTypes, isHttpFaultType } from '../../plan/index.js';
import type { FaultConfigOf } from '../../plan/index.js';
import type { Counters } from '../recorder/index.js';
import type { HttpFaultType, HttpRuleSpec } from '../types.js';
import type { HttpFaultDef, HttpFaultEffect } from './fault.js';
import { httpFaultRegistry } from './faults/index.js';
import { compileMatcher, type RequestMatcher } from './matcher.js';

/** A rule ready for the data path. */
export interface CompiledRule {
  readonly spec: HttpRuleSpec;
  readonly matcher: RequestMatcher;
  /** What the rule does to a request it faults (from its fault's file under `faults/`). */
  readonly effect: HttpFaultEffect;
  readonly counters: Counters;
  /** Matching requests seen so far. */
  matched: number;
  /** Requests faulted so far. */
  faulted: number;
  /** Requests faulted and not finished yet. */
  active: number;
  /** Decides (and counts) whether this matching request is faulted. */
  decide(): boolean;
  /**
   * Registers something this rule holds (a delayed request, a throttled body); `release` runs
   * when the rule is removed (at once if it already was). @returns an unregister function.
   */
  hold(release: () => void): () => void;
  /** The rule was removed: everything it holds goes on now. Idempotent. */
  release(): void;
}

const noop = (): void => undefined;

/**
 * Validates a rule spec with the plan registry's schema (filling defaults) and returns a copy
 * in code form.
 * @throws ValidationError naming each bad field (`config.http_status`, `percentage`, ...).
 */
export function normalizeRule(spec: HttpRuleSpec): HttpRuleSpec {
  const issues: { path: string; message: string }[] = [];
  if (typeof spec.id !== 'string' || spec.id.length === 0) issues.push({ path: 'id', message: 'must be a non-empty string' });
  if (!isHttpFaultType(spec.type)) issues.push({ path: 'type', message: `must be one of ${httpFaultTypes.join(', ')}` });
  if (typeof spec.percentage !== 'number' || !(spec.percentage >= 0 && spec.percentage <= 100)) {
    issues.push({ path: 'percentage', message: 'must be a number between 0 and 100' });
  }
  if (spec.method !== undefined && !(httpMethods as readonly string[]).includes(spec.method.toUpperCase())) {
    issues.push({ path: 'method', message: `must be one of ${httpMethods.join(', ')}` });
  }
  if (spec.path !== undefined && !/^(\/|\*)/.test(spec.path)) issues.push({ path: 'path', message: "must start with '/' or '*'" });
  let config: unknown = spec.config;
  if (isHttpFaultType(spec.type)) {
    const wire = snakifyKeys(spec.config ?? {});
    const parsed = defaultRegistry.get(spec.type).schema.safeParse(wire);
    if (parsed.success) config = camelizeKeys(parsed.data);
    else issues.push(...fieldIssues(parsed.error, wire, ['config']));
  }
  if (issues.length > 0) throw new ValidationError('http rule', issues);
  const out: { -readonly [K in keyof HttpRuleSpec]: HttpRuleSpec[K] } = {
    id: spec.id,
    type: spec.type,
    config: config as FaultConfigOf<HttpFaultType>,
    percentage: spec.percentage,
  };
  if (spec.method !== undefined) out.method = spec.method.toUpperCase();
  if (spec.path !== undefined) out.path = spec.path;
  if (spec.headers !== undefined) out.headers = { ...spec.headers };
  return out;
}

function effectOf(spec: HttpRuleSpec): HttpFaultEffect {
  // The registry is keyed by type, so the def and the config belong together.
  const def = httpFaultRegistry[spec.type] as HttpFaultDef;
  return def.create(spec.config);
}

/** Compiles a normalized rule; `counters` are the recorder's for the rule id. */
export function compileRule(spec: HttpRuleSpec, counters: Counters): CompiledRule {
  const { skip, count, maxActiveFaults } = spec.config as FaultConfigOf<'reset'>;
  const share = spec.percentage / 100;
  const holds = new Set<() => void>();
  let released = false;
  const rule: CompiledRule = {
    spec,
    matcher: compileMatcher(spec),
    effect: effectOf(spec),
    counters,
    matched: 0,
    faulted: 0,
    active: 0,
    decide() {
      const n = rule.matched++;
      // skip N matching requests, then fault `count` requests (exact), then stop.
      if (n < skip) return false;
      if (count !== undefined && rule.faulted >= count) return false;
      if (maxActiveFaults !== undefined && rule.active >= maxActiveFaults) return false;
      if (share < 1 && Math.random() >= share) return false;
      rule.faulted++;
      rule.active++;
      return true;
    },
    hold(release) {
      if (released) {
        release();
        return noop;
      }
      holds.add(release);
      return () => {
        holds.delete(release);
      };
    },
    release() {
      if (released) return;
      released = true;
      for (const r of [...holds]) r();
      holds.clear();
    },
  };
  return rule;
}

/**
 * The activity registry: the one list of probe, step and preflight-check kinds. The drill
 * schema's unions, the kinds' names in error messages and every dispatch derive from it.
 *
 * Adding a kind is one file (its schema fragment and runner for each use) plus one line here.
 */
import { z } from 'zod';
import type { Camelize } from '../../plan/index.js';
import { awaitKind } from './await.js';
import { command } from './command.js';
import { disk } from './disk.js';
import { fault } from './fault.js';
import { halt } from './halt.js';
import { http } from './http.js';
import { kill } from './kill.js';
import { metric } from './metric.js';
import { bindProbeSchema } from './nested.js';
import { pause } from './pause.js';
import { port } from './port.js';
import { postgres } from './postgres.js';
import { probeStep } from './probe.js';
import { processKind } from './process.js';
import { remove } from './remove.js';
import { restart } from './restart.js';
import { sql } from './sql.js';
import { sqlite } from './sqlite.js';
import type { Activity, CheckUse, ProbeUse, StepUse } from './types.js';
import { wait } from './wait.js';

/** Every activity kind. */
export const activities = [http, command, sql, metric, processKind, postgres, sqlite, port, disk, fault, kill, pause, restart, halt, wait, probeStep, awaitKind, remove] as const;

type Listed = (typeof activities)[number];
type SchemaOf<A, U extends 'probe' | 'step' | 'check'> = A extends { readonly [K in U]: { readonly schema: infer S } } ? S : never;
type ProbeSchemas = SchemaOf<Listed, 'probe'>;
type StepSchemas = SchemaOf<Listed, 'step'>;
type CheckSchemas = SchemaOf<Listed, 'check'>;

const byKind = new Map<string, Activity>();
for (const a of activities as readonly Activity[]) {
  if (byKind.has(a.kind)) throw new Error(`activity kind '${a.kind}' is registered twice`);
  byKind.set(a.kind, a);
}

/** The kinds that have a use, in registry order. */
export function kindsWith(use: 'probe' | 'step' | 'check'): string[] {
  return [...byKind.values()].filter((a) => a[use] !== undefined).map((a) => a.kind);
}

function union<S>(use: 'probe' | 'step' | 'check', what: string): S {
  const schemas = [...byKind.values()].flatMap((a) => (a[use] ? [a[use].schema] : []));
  return z.discriminatedUnion('kind', schemas as unknown as [z.ZodObject, ...z.ZodObject[]], { error: `must have kind one of ${kindsWith(use).join(', ')}${what}` }) as unknown as S;
}

/** A probe (steady state, verify, `probe` and `await` steps), wire form. */
export const probeSchema = union<z.ZodDiscriminatedUnion<[ProbeSchemas, ...ProbeSchemas[]]>>('probe', '');
bindProbeSchema(probeSchema);
/** A method, rollback or cleanup step, wire form. */
export const stepSchema = union<z.ZodDiscriminatedUnion<[StepSchemas, ...StepSchemas[]]>>('step', '');
/** A preflight check, wire form. */
export const checkSchema = union<z.ZodDiscriminatedUnion<[CheckSchemas, ...CheckSchemas[]]>>('check', '');

export type ProbeWire = z.output<typeof probeSchema>;
export type StepWire = z.output<typeof stepSchema>;
export type CheckWire = z.output<typeof checkSchema>;
/** A probe in code form. */
export type Probe = Camelize<ProbeWire>;
/** A step in code form. */
export type Step = Camelize<StepWire>;
/** A preflight check in code form. */
export type PreflightCheck = Camelize<CheckWire>;

/** The use of a kind, or undefined when the kind has none. */
export function useOf(kind: string, use: 'probe'): ProbeUse | undefined;
export function useOf(kind: string, use: 'step'): StepUse | undefined;
export function useOf(kind: string, use: 'check'): CheckUse | undefined;
export function useOf(kind: string, use: 'probe' | 'step' | 'check'): ProbeUse | StepUse | CheckUse | undefined {
  return byKind.get(kind)?.[use];
}

/**
 * Renders the fault catalogue of docs/writing-faults.md from the registry, so that the page
 * cannot drift from the code. Regenerate the section with:
 *   node --import tsx test/docs/fault-catalogue.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { builtinFaultTypes, type FaultTypeDef } from '../../src/plan/index.js';

export const START = '<!-- fault-catalogue:start (generated from src/plan/registry.ts; see test/docs/fault-catalogue.ts) -->';
export const END = '<!-- fault-catalogue:end -->';
export const page = fileURLToPath(new URL('../../docs/writing-faults.md', import.meta.url));

/** Attributes every fault of a target shares, described once under the table. */
const shared = new Set(['stream', 'phase', 'skip', 'count', 'max_active_faults']);

interface JsonProp {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  enum?: unknown[];
  oneOf?: { properties?: { type?: { const?: string } } }[];
}

function attribute(name: string, p: JsonProp): string {
  let range = '';
  if (p.enum !== undefined) range = ` ${p.enum.join(' \\| ')}`;
  else if (p.oneOf !== undefined) range = ` ${p.oneOf.map((o) => o.properties?.type?.const ?? '?').join(' \\| ')}`;
  else if (p.maximum !== undefined) range = ` ${p.minimum ?? 0}..${p.maximum}`;
  else if (p.maxLength !== undefined) range = ` string, at most ${p.maxLength} chars`;
  const dflt = p.default !== undefined ? ` (default ${String(p.default)})` : '';
  return `\`${name}\`${range}${dflt}`;
}

function row(def: FaultTypeDef): string {
  const json = z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp> };
  const attrs = Object.entries(json.properties ?? {})
    .filter(([name]) => !shared.has(name))
    .map(([name, p]) => attribute(name, p));
  const target = def.listener === true ? 'tcp (listener)' : def.target;
  return `| \`${def.type}\` | ${target} | ${attrs.length > 0 ? attrs.join('<br>') : '(none)'} | ${def.description} | \`${JSON.stringify(def.example)}\` |`;
}

/** The generated section, markers included. */
export function catalogue(): string {
  return [
    START,
    '| fault_type | target | attributes (range, default) | what it does | example `fault_config` |',
    '| --- | --- | --- | --- | --- |',
    ...builtinFaultTypes.map((d) => row(d as FaultTypeDef)),
    END,
  ].join('\n');
}

/** The section as it stands in the page. */
export function documented(): string {
  const text = readFileSync(page, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < 0 ? '' : text.slice(a, b + END.length);
}

if (process.argv.includes('--write')) {
  const text = readFileSync(page, 'utf8');
  const current = documented();
  if (current === '') throw new Error(`markers not found in ${page}`);
  writeFileSync(page, text.replace(current, catalogue()));
}

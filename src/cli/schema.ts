import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from './errors.js';

/** The documents `faultline schema` prints. */
export const SCHEMA_NAMES = ['plan', 'drill', 'config', 'report'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** Where the published schemas live (the `$id`s, and what `# yaml-language-server: $schema=` lines point at). */
export const SCHEMA_BASE_URL = 'https://faultline.dev/schemas';

/**
 * An input schema as editors should see it. A `z.preprocess` field accepts more than its inner
 * schema (`status: 200` for `[200]`, a stop condition as a string), which `z.toJSONSchema` cannot
 * know: such a field is widened (a list also takes one item; an object also takes a string), so
 * that an editor never flags a file that `faultline validate` accepts.
 */
function inputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const def = (ctx.zodSchema as unknown as { _zod: { def: { type: string; in?: { _zod: { def: { type: string } } } } } })._zod.def;
      if (def.type !== 'pipe' || def.in?._zod.def.type !== 'transform') return;
      const inner = { ...ctx.jsonSchema } as Record<string, unknown>;
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
      const widened = inner.type === 'array' && inner.items !== undefined ? [inner.items, inner] : inner.type === 'object' ? [{ type: 'string' }, inner] : [inner, {}];
      Object.assign(ctx.jsonSchema, { anyOf: widened });
    },
  }) as Record<string, unknown>;
}

/** The JSON Schema (draft 2020-12) of one input or output format. Loads only the module it needs. */
export async function jsonSchemaFor(name: SchemaName): Promise<Record<string, unknown>> {
  switch (name) {
    case 'plan':
      return (await import('../plan/index.js')).faultPlanJsonSchema();
    case 'report':
      return (await import('../drill/index.js')).reportJsonSchema();
    case 'drill': {
      const { drillSchema } = await import('../drill/index.js');
      const schema = inputJsonSchema(drillSchema);
      return { ...schema, $id: `${SCHEMA_BASE_URL}/drill.json`, title: 'faultline drill file' };
    }
    case 'config': {
      const { executorConfigSchema } = await import('../executor/index.js');
      const schema = inputJsonSchema(executorConfigSchema);
      return { ...schema, $id: `${SCHEMA_BASE_URL}/config.json`, title: 'faultline.yaml (executor config)' };
    }
  }
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
};

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  return s.type ?? 'any';
}

function limits(s: JsonSchema): string {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`<= ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  return out.join(', ');
}

/** The object schemas a property leads to (itself, its list items, its alternatives). */
function objectsIn(s: JsonSchema): JsonSchema[] {
  if (s.properties) return [s];
  if (s.items) return objectsIn(s.items);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.flatMap(objectsIn);
  return [];
}

/** One table row per field, depth-first, with dotted paths (`proxies[].listen`). */
function rows(s: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}${key}`;
    const cells = [
      `\`${path}\``,
      typeOf(prop).replace(/\|(?<!\\\|)/g, '\\|'),
      (s.required ?? []).includes(key) && prop.default === undefined ? 'yes' : '',
      prop.default !== undefined ? `\`${JSON.stringify(prop.default)}\`` : '',
      [prop.description ?? '', limits(prop)].filter((x) => x !== '').join('; ').replace(/\n/g, ' ').replace(/\|/g, '\\|'),
    ];
    out.push(`| ${cells.join(' | ')} |`);
    const nested = objectsIn(prop);
    const isList = prop.type === 'array' || (prop.anyOf ?? prop.oneOf ?? []).some((a) => a.type === 'array');
    for (const child of nested) rows(child, `${path}${isList ? '[]' : ''}.`, out);
  }
}

/**
 * The faultline.yaml reference (docs/faultline-yaml.md), generated from the config's JSON Schema;
 * a test keeps the file equal to this output.
 */
export async function configReferenceMarkdown(): Promise<string> {
  const schema = (await jsonSchemaFor('config')) as JsonSchema;
  const out = [
    '# faultline.yaml reference',
    '',
    '<!-- Generated by `npm run schemas` (faultline schema config --markdown); test/cli/schema.test.ts keeps it in sync. Do not edit by hand. -->',
    '',
    'The config file of `faultline serve -c faultline.yaml` and of drills with an embedded executor',
    '(`executor.config`). Its JSON Schema is printed by `faultline schema config` and shipped as',
    '`schemas/config.json` in the package; editors that speak the YAML language server complete and',
    'check the file when its first line points at it (the path is relative to the YAML file):',
    '',
    '```yaml',
    '# yaml-language-server: $schema=./node_modules/faultline/schemas/config.json',
    '```',
    '',
    'Drill files use `schemas/drill.json` the same way (`faultline schema drill`); the examples in',
    '`examples/` start with such a line.',
    '',
    '| field | type | required | default | notes |',
    '| --- | --- | --- | --- | --- |',
  ];
  rows(schema, '', out);
  return `${out.join('\n')}\n`;
}

/** `faultline schema [plan|drill|config|report]`: print a JSON Schema (config also as a Markdown reference). */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .argument('[name]', `${SCHEMA_NAMES.join(', ')} (default plan)`)
    .option('--report', 'the same as `faultline schema report` (kept for older scripts)')
    .option('--markdown', 'config only: print the faultline.yaml reference as Markdown (docs/faultline-yaml.md)')
    .description('print a JSON Schema: plan (a FaultPlan), drill (a drill file), config (faultline.yaml) or report (report.json)')
    .action(async (name: string | undefined, opts: { report?: boolean; markdown?: boolean }) => {
      const which = name ?? (opts.report ? 'report' : 'plan');
      if (!(SCHEMA_NAMES as readonly string[]).includes(which)) {
        throw new CliError(`no schema named '${which}'`, `use one of ${SCHEMA_NAMES.join(', ')}`);
      }
      if (opts.markdown) {
        if (which !== 'config') throw new CliError('--markdown is only for the config schema', 'run `faultline schema config --markdown`');
        process.stdout.write(await configReferenceMarkdown());
        return;
      }
      process.stdout.write(`${JSON.stringify(await jsonSchemaFor(which as SchemaName), null, 2)}\n`);
    });
}

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const NAMES = ['plan', 'drill', 'config', 'report'] as const;
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const STALE = 'out of date: run `npm run schemas` and commit the result';

describe('faultline schema plan|drill|config|report (dist/cli/main.js)', () => {
  it.each(NAMES)('prints the %s schema, equal to the shipped schemas/%s.json', async (name) => {
    const r = await runCli(['schema', name]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(String(printed.$schema)).toMatch(/json-schema\.org\/draft\/2020-12/);
    expect(printed, `schemas/${name}.json is ${STALE}`).toEqual(JSON.parse(read(`schemas/${name}.json`)));
  });

  it('keeps docs/faultline-yaml.md equal to the reference generated from the config schema', async () => {
    const r = await runCli(['schema', 'config', '--markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(500);
    expect(read('docs/faultline-yaml.md'), `docs/faultline-yaml.md is ${STALE}`).toBe(r.stdout);
    for (const field of ['`proxies[].upstream`', '`processes[].health.http.url`', '`max_duration_seconds`']) expect(r.stdout).toContain(field);
  });

  it('starts every example with a yaml-language-server line whose schema accepts the example', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
    const examples = [...readdirSync(join(ROOT, 'examples/drills')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/drills/${f}`), 'examples/faultline.yaml'];
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const file of examples) {
      const text = read(file);
      const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      expect(m, file).not.toBeNull();
      const schemaPath = join(ROOT, file, '..', m![1]!);
      expect(schemaPath, file).toMatch(file.endsWith('faultline.yaml') ? /schemas\/config\.json$/ : /schemas\/drill\.json$/);
      const id = (JSON.parse(readFileSync(schemaPath, 'utf8')) as { $id: string }).$id;
      const validate = ajv.getSchema(id) ?? ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
      expect(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
  });

  it('keeps `schema --report` as the report schema, and refuses --markdown for other schemas', async () => {
    const legacy = await runCli(['schema', '--report']);
    expect(JSON.parse(legacy.stdout)).toEqual(JSON.parse(read('schemas/report.json')));
    const bad = await runCli(['schema', 'plan', '--markdown']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^faultline: --markdown is only for the config schema — /);
  });
});

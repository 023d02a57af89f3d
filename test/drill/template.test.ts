import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTemplate, renderActivity, renderConfig, shellQuote, TemplateError, type TemplateContext } from '../../src/drill/template.js';

const ctx: TemplateContext = {
  env: { PORT: '8080', EMPTY: '' },
  seq: 7,
  steps: { order: { body: { id: 42, items: ['a', 'b'], ok: true, note: null } } },
  results: { total: 3.5 },
  run: { id: 'r1', dir: '/tmp/r1' },
};

describe('template engine', () => {
  it('keeps the type of a template that is exactly one expression', () => {
    expect(compileTemplate('{{steps.order.body.id}}').render(ctx)).toBe(42);
    expect(compileTemplate('{{ steps.order.body.ok }}').render(ctx)).toBe(true);
    expect(compileTemplate('{{steps.order.body.items}}').render(ctx)).toEqual(['a', 'b']);
    expect(compileTemplate('{{seq}}').render(ctx)).toBe(7);
    expect(compileTemplate('{{results.total}}').render(ctx)).toBe(3.5);
  });

  it('renders text around expressions as a string, objects as JSON', () => {
    expect(compileTemplate('id={{steps.order.body.id}}').render(ctx)).toBe('id=42');
    expect(compileTemplate('{{steps.order.body.items}}!').render(ctx)).toBe('["a","b"]!');
    expect(compileTemplate('{{steps.order.body.items.1}}').render(ctx)).toBe('b');
    const constant = compileTemplate('no templates here');
    expect(constant.constant).toBe(true);
    expect(constant.render(ctx)).toBe('no templates here');
  });

  it('falls back with || past undefined, null and empty values, to a path or a literal', () => {
    expect(compileTemplate('{{env.MISSING || env.PORT}}').render(ctx)).toBe('8080');
    expect(compileTemplate('{{env.EMPTY || 15432}}').render(ctx)).toBe(15432);
    expect(compileTemplate("{{steps.order.body.note || 'none'}}").render(ctx)).toBe('none');
    expect(compileTemplate('{{env.MISSING || "x y"}}').render(ctx)).toBe('x y');
    expect(compileTemplate('{{env.PORT || 1}}').render(ctx)).toBe('8080');
  });

  it('says which expression has no value, and refuses unknown names when compiling', () => {
    expect(() => compileTemplate('a {{env.NOPE}} b').render(ctx)).toThrow(/\{\{env\.NOPE\}\} has no value/);
    expect(() => compileTemplate('{{stpes.order}}')).toThrow(TemplateError);
    expect(() => compileTemplate('{{stpes.order}}')).toThrow(/unknown name 'stpes'/);
    expect(() => compileTemplate('{{random_int 1}}')).toThrow(/random_int MIN MAX/);
    expect(() => compileTemplate('{{recent.orders}}')).toThrow(/recent\.<template>\.<var>/);
  });

  it('draws random_int within its bounds', () => {
    const t = compileTemplate('{{random_int 3 5}}');
    for (let i = 0; i < 200; i++) expect([3, 4, 5]).toContain(t.render(ctx));
  });

  it('renders executor configs with ports as numbers, but env, args and names as strings', () => {
    const out = renderConfig({ listen: '{{env.PORT}}', processes: [{ name: '{{env.PORT}}', args: ['{{env.PORT}}'], env: { P: '{{env.PORT}}' } }] }, ctx);
    expect(out).toEqual({ listen: 8080, processes: [{ name: '8080', args: ['8080'], env: { P: '8080' } }] });
  });
});

describe('escaping for a shell', () => {
  it('shell-quotes every value in a string run:, and leaves an argv list alone', () => {
    const hostile: TemplateContext = { env: {}, steps: { a: { id: "x'; rm -rf / #", sub: '$(id)' } } };
    const s = renderActivity({ kind: 'command', run: 'echo {{steps.a.id}} {{steps.a.sub}}', cwd: '{{steps.a.sub}}' }, hostile);
    expect(s.run).toBe(`echo 'x'\\''; rm -rf / #' '$(id)'`);
    expect(s.cwd).toBe('$(id)');
    const argv = renderActivity({ kind: 'command', run: ['echo', '{{steps.a.id}}'] }, hostile);
    expect(argv.run).toEqual(['echo', "x'; rm -rf / #"]);
  });

  it('a quoted value is exactly one word for /bin/sh, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), (value) => {
        const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
        expect(out).toBe(value);
      }),
      { numRuns: 60 },
    );
  });
});

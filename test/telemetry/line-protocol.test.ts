import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { escapeFieldString, escapeMeasurement, escapeTag, formatLine, toLineProtocol } from '../../src/telemetry/index.js';

describe('line protocol escaping', () => {
  it.each([
    ['plain', 'cpu', 'cpu'],
    ['comma', 'cpu,load', 'cpu\\,load'],
    ['space', 'cpu load', 'cpu\\ load'],
    ['equals is literal in a measurement', 'a=b', 'a=b'],
    ['double quote is literal in a measurement', 'say"hi"', 'say"hi"'],
    ['newline spelled out', 'a\nb', 'a\\nb'],
    ['trailing backslash dropped', 'cpu\\', 'cpu'],
  ])('escapes a measurement: %s', (_what, input, expected) => {
    expect(escapeMeasurement(input)).toBe(expected);
  });

  it.each([
    ['plain', 'host', 'host'],
    ['comma', 'us,east', 'us\\,east'],
    ['equals', 'a=b', 'a\\=b'],
    ['space', 'New York', 'New\\ York'],
    ['all three', 'a b,c=d', 'a\\ b\\,c\\=d'],
    ['double quote is literal in a tag', '"x"', '"x"'],
    ['newline spelled out', 'a\r\nb', 'a\\nb'],
    ['inner backslash kept', 'C:\\dir\\x', 'C:\\dir\\x'],
    ['trailing backslashes dropped', 'C:\\dir\\\\', 'C:\\dir'],
  ])('escapes a tag key or value: %s', (_what, input, expected) => {
    expect(escapeTag(input)).toBe(expected);
  });

  it.each([
    ['plain', 'ok', '"ok"'],
    ['double quotes', 'say "hi"', '"say \\"hi\\""'],
    ['backslash', 'C:\\dir', '"C:\\\\dir"'],
    ['comma, equals and space stay literal', 'a, b=c', '"a, b=c"'],
    ['backslash before a quote', '\\"', '"\\\\\\""'],
  ])('escapes a string field value: %s', (_what, input, expected) => {
    expect(escapeFieldString(input)).toBe(expected);
  });

  it('formats a full line with escaped measurement, sorted tags, typed fields and a timestamp', () => {
    const line = formatLine({
      measurement: 'http requests',
      tags: { route: '/a,b', host: 'my host', 'k=ey': 'v', empty: '', slash: '\\' },
      fields: { value: 1.5, count: { int: 3 }, note: 'he said "x"', up: true, 'field key': 2 },
      timestamp: 1_700_000_000_000,
    });
    expect(line).toBe(
      'http\\ requests,host=my\\ host,k\\=ey=v,route=/a\\,b value=1.5,count=3i,note="he said \\"x\\"",up=true,field\\ key=2 1700000000000',
    );
  });

  it('leaves out NaN and infinite fields, and the whole line when no field is left', () => {
    expect(formatLine({ measurement: 'm', fields: { a: Number.NaN, b: 1 } })).toBe('m b=1');
    expect(formatLine({ measurement: 'm', fields: { a: Number.POSITIVE_INFINITY } })).toBeNull();
  });
});

describe('toLineProtocol', () => {
  it('converts counters, gauges, histograms and summaries from a registry snapshot', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ app: 'faultline' });
    new Counter({ name: 'req_total', help: 'h', labelNames: ['code'], registers: [registry] }).inc({ code: '500' }, 3);
    new Gauge({ name: 'up', help: 'h', registers: [registry] }).set(1);
    const hist = new Histogram({ name: 'lat_seconds', help: 'h', buckets: [0.1, 1], labelNames: ['route'], registers: [registry] });
    hist.observe({ route: '/pay' }, 0.05);
    hist.observe({ route: '/pay' }, 0.5);
    const summary = new Summary({ name: 'size_bytes', help: 'h', percentiles: [0.5], registers: [registry] });
    summary.observe(10);

    const text = toLineProtocol(await registry.getMetricsAsJSON(), { timestampMs: 1000, measurementPrefix: 'fl_' });
    const lines = text.split('\n');
    expect(lines).toContain('fl_req_total,app=faultline,code=500 value=3 1000');
    expect(lines).toContain('fl_up,app=faultline value=1 1000');
    expect(lines).toContain('fl_lat_seconds,app=faultline,route=/pay 0.1=1,1=2,+Inf=2,sum=0.55,count=2 1000');
    expect(lines).toContain('fl_size_bytes,app=faultline 0.5=10,sum=10,count=1 1000');
    expect(lines).toHaveLength(4);
  });

  it('escapes label values taken from the registry', async () => {
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'h', labelNames: ['path'], registers: [registry] }).set({ path: 'a b,c=d' }, 2);
    expect(toLineProtocol(await registry.getMetricsAsJSON())).toBe('g,path=a\\ b\\,c\\=d value=2');
  });
});

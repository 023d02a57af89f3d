/**
 * InfluxDB line protocol: escaping and the conversion of a prom-client registry snapshot.
 *
 *   measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] timestamp
 *
 * Counters and gauges become one point per series with the field `value`. Histograms and summaries
 * become one point per series (labels without `le`/`quantile`) with the fields `count`, `sum` and
 * one field per bucket bound (`0.005`, `+Inf`) or quantile (`0.5`, `0.99`), as Telegraf's
 * Prometheus input writes them. Every number is written as a float, so a field never changes type.
 */

/** A field value: numbers are floats, `{ int }` an integer (`42i`), strings are quoted. */
export type FieldValue = number | string | boolean | { readonly int: number | bigint };

/** One line of line protocol. */
export interface LinePoint {
  readonly measurement: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Fields by key; pass `[key, value]` pairs to keep an order (object keys that look like integers sort first). */
  readonly fields: Readonly<Record<string, FieldValue>> | readonly (readonly [string, FieldValue])[];
  /** Timestamp in the write's precision (the exporters write milliseconds). */
  readonly timestamp?: number;
}

/** The shape `registry.getMetricsAsJSON()` returns (only what the conversion reads). */
export interface MetricSnapshot {
  readonly name: string;
  /** `counter`, `gauge`, `histogram` or `summary` at run time (prom-client's typings declare an enum). */
  readonly type: unknown;
  readonly values: readonly {
    readonly value: number;
    readonly labels: Readonly<Record<string, string | number | undefined>>;
    readonly metricName?: string;
  }[];
}

/** Options of {@link toLineProtocol}. */
export interface ToLineProtocolOptions {
  /** Timestamp of every point, in milliseconds (default: none, the server's time). */
  readonly timestampMs?: number;
  /** Prepended to every measurement name, e.g. `faultline_`. */
  readonly measurementPrefix?: string;
  /** Tags added to every point (a series' own labels win). */
  readonly tags?: Readonly<Record<string, string>>;
}

// Line protocol has no escape for a line break; a raw one would end the line, so it is spelled out.
const newlines = /\r\n|\r|\n/g;
// A trailing backslash would escape the separator after it (InfluxDB 1.x has no way to write one:
// it rejects the whole batch), so it is dropped.
const trailingBackslashes = /\\+$/;

/** Escapes a measurement name: commas and spaces (a trailing backslash is dropped). */
export function escapeMeasurement(name: string): string {
  return name.replace(newlines, '\\n').replace(trailingBackslashes, '').replace(/[, ]/g, (c) => `\\${c}`);
}

/** Escapes a tag key, tag value or field key: commas, equals signs and spaces (a trailing backslash is dropped). */
export function escapeTag(text: string): string {
  return text.replace(newlines, '\\n').replace(trailingBackslashes, '').replace(/[,= ]/g, (c) => `\\${c}`);
}

/** Quotes a string field value, escaping double quotes and backslashes. */
export function escapeFieldString(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function formatNumber(n: number): string {
  // A float field: integers are written without a decimal point, which line protocol reads as a float.
  return Object.is(n, -0) ? '0' : String(n);
}

function formatField(value: FieldValue): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? formatNumber(value) : null;
  if (typeof value === 'string') return escapeFieldString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const int = typeof value.int === 'bigint' ? value.int : Number.isSafeInteger(value.int) ? BigInt(value.int) : null;
  return int === null ? null : `${int}i`;
}

/**
 * Formats one point, or returns `null` when it has no writable field (NaN and infinities are not
 * representable and are left out). Tags are sorted by key (what InfluxDB recommends) and empty tag
 * values dropped (InfluxDB rejects them).
 */
export function formatLine(point: LinePoint): string | null {
  const fields: string[] = [];
  const entries = Array.isArray(point.fields) ? (point.fields as readonly (readonly [string, FieldValue])[]) : Object.entries(point.fields);
  for (const [key, value] of entries) {
    const text = formatField(value);
    const escapedKey = escapeTag(key);
    if (text !== null && escapedKey !== '') fields.push(`${escapedKey}=${text}`);
  }
  let line = escapeMeasurement(point.measurement);
  if (fields.length === 0 || line === '') return null;
  const tags = Object.entries(point.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of tags) {
    const k = escapeTag(key);
    const v = escapeTag(value);
    if (k !== '' && v !== '') line += `,${k}=${v}`;
  }
  line += ` ${fields.join(',')}`;
  if (point.timestamp !== undefined) line += ` ${Math.trunc(point.timestamp)}`;
  return line;
}

function labelsToTags(labels: Readonly<Record<string, string | number | undefined>>, omit: string | null, base: Readonly<Record<string, string>>): Record<string, string> {
  const tags: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(labels)) {
    if (k !== omit && v !== undefined) tags[k] = String(v);
  }
  return tags;
}

function seriesKey(tags: Record<string, string>): string {
  return JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Converts a registry snapshot (`await registry.getMetricsAsJSON()`) to points. */
export function metricsToPoints(metrics: readonly MetricSnapshot[], options: ToLineProtocolOptions = {}): LinePoint[] {
  const prefix = options.measurementPrefix ?? '';
  const base = options.tags ?? {};
  const stamp = options.timestampMs === undefined ? {} : { timestamp: options.timestampMs };
  const points: LinePoint[] = [];
  for (const metric of metrics) {
    const measurement = `${prefix}${metric.name}`;
    const type = String(metric.type);
    if (type === 'histogram' || type === 'summary') {
      const bound = type === 'histogram' ? 'le' : 'quantile';
      const series = new Map<string, { tags: Record<string, string>; fields: [string, number][] }>();
      for (const v of metric.values) {
        const tags = labelsToTags(v.labels, bound, base);
        const key = seriesKey(tags);
        let entry = series.get(key);
        if (entry === undefined) {
          entry = { tags, fields: [] };
          series.set(key, entry);
        }
        const suffix = (v.metricName ?? metric.name).slice(metric.name.length);
        if (suffix === '_sum') entry.fields.push(['sum', v.value]);
        else if (suffix === '_count') entry.fields.push(['count', v.value]);
        else {
          const at = v.labels[bound];
          if (at !== undefined) entry.fields.push([String(at), v.value]);
        }
      }
      for (const { tags, fields } of series.values()) points.push({ measurement, tags, fields, ...stamp });
    } else {
      for (const v of metric.values) {
        points.push({ measurement, tags: labelsToTags(v.labels, null, base), fields: { value: v.value }, ...stamp });
      }
    }
  }
  return points;
}

/**
 * Converts a registry snapshot (`await registry.getMetricsAsJSON()`) to line protocol, one line
 * per series, lines joined by `\n`. Pure: same input, same output.
 * @example
 * const body = toLineProtocol(await registry.getMetricsAsJSON(), { timestampMs: Date.now() });
 */
export function toLineProtocol(metrics: readonly MetricSnapshot[], options: ToLineProtocolOptions = {}): string {
  const lines: string[] = [];
  for (const point of metricsToPoints(metrics, options)) {
    const line = formatLine(point);
    if (line !== null) lines.push(line);
  }
  return lines.join('\n');
}

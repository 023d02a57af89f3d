const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The one duration grammar of faultline's texts: a number and a unit, `500ms`, `5s`, `1.5m`, `1h`. */
export const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/**
 * Parses `500ms`, `30s`, `5m`, `1h` to milliseconds, or returns a message saying what is wrong.
 * @example
 * parseDuration('1m') // 60000
 */
export function parseDuration(text: string): number | string {
  const m = DURATION_RE.exec(text.trim());
  if (m === null) {
    return /^\d+(\.\d+)?$/.test(text.trim()) ? `duration '${text}' needs a unit (ms, s, m or h)` : `'${text}' is not a duration (e.g. 500ms, 30s, 5m, 1h)`;
  }
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
}

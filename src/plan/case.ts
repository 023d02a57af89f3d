/** `average_size` -> `averageSize`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
/** `averageSize` -> `average_size`, at the type level. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S;

/** Deeply renames object keys to camelCase, keeping optional modifiers. */
export type Camelize<T> = T extends readonly unknown[]
  ? { [K in keyof T]: Camelize<T[K]> }
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camelize<T[K]> }
    : T;

/** Deeply renames object keys to snake_case, keeping optional modifiers. */
export type Snakify<T> = T extends readonly unknown[]
  ? { [K in keyof T]: Snakify<T[K]> }
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeCase<K> : K]: Snakify<T[K]> }
    : T;

export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function renameDeep(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameDeep(v, rename));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[rename(k)] = renameDeep(v, rename);
    }
    return out;
  }
  return value;
}

/** Deeply renames keys to camelCase and drops `undefined` values (the edge conversion, done once). */
export function camelizeKeys<T>(value: T): Camelize<T> {
  return renameDeep(value, camelCase) as Camelize<T>;
}

/** Deeply renames keys to snake_case and drops `undefined` values. */
export function snakifyKeys<T>(value: T): Snakify<T> {
  return renameDeep(value, snakeCase) as Snakify<T>;
}

/**
 * The probe schema, for steps that hold probes (`probe`, `await`). The registry composes it from
 * every kind's probe use and binds it here, so those step files need not import the registry.
 */
import { z } from 'zod';

let bound: z.ZodType | undefined;

/** Called once by the registry with the composed probe schema. */
export function bindProbeSchema(schema: z.ZodType): void {
  bound = schema;
}

/** A probe inside a step (any registered probe kind). */
export const nestedProbe = z.lazy((): z.ZodType<{ kind: string } & Record<string, unknown>> => {
  if (!bound) throw new Error('the activity registry has not bound the probe schema');
  return bound as z.ZodType<{ kind: string } & Record<string, unknown>>;
});

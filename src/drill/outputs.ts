/** Step and probe outputs: `{{steps.<output>}}` reads them, the report's `results` keeps the chosen ones. */
export class Outputs {
  readonly steps: Record<string, unknown> = {};
  readonly results: Record<string, unknown> = {};

  /** @param chosen the drill's `results:` list (all outputs when undefined). */
  constructor(private readonly chosen: readonly string[] | undefined) {}

  #keep(key: string): boolean {
    return !this.chosen || this.chosen.includes(key);
  }

  /** Keeps a value under its output name; with `spread`, an object's fields go into results too. */
  set(name: string | undefined, value: unknown, spread = false): void {
    if (spread && value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) if (this.#keep(k)) this.results[k] = v;
    if (name === undefined) return;
    this.steps[name] = value;
    if (this.#keep(name)) this.results[name] = value;
  }
}

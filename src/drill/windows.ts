/**
 * The load windows of the phases, in seconds of the load, for `metric` probes: baseline from its
 * start, inject while its faults last, recover from the last fault's end plus the request timeout
 * (load metrics are bucketed by completion, and a request sent under the fault may complete up
 * to a timeout later).
 */
import type { LoadWindow } from './activities/types.js';
import type { FaultRecord, PhaseName } from './journal.js';
import type { LoadGenerator } from './load/index.js';

export class PhaseWindows {
  readonly #windows = new Map<PhaseName, LoadWindow>();
  #phaseStartS = 0;

  constructor(
    private readonly load: () => LoadGenerator | undefined,
    private readonly spec: { readonly durationS: number; readonly timeoutMs: number } | undefined,
    private readonly faults: readonly FaultRecord[],
  ) {}

  /** Seconds since the load started (0 without one). */
  nowS(): number {
    return this.load()?.elapsedS() ?? 0;
  }

  /** Where the current phase started. */
  get phaseStartS(): number {
    return this.#phaseStartS;
  }

  /** The window of a phase that ran. */
  get(phase: PhaseName): LoadWindow | undefined {
    return this.#windows.get(phase);
  }

  /** Epoch ms the last fault ended, or null when no fault took effect. */
  lastFaultEnd(): number | null {
    const ends = this.faults.map((f) => (f.end === null ? NaN : Date.parse(f.end))).filter((n) => Number.isFinite(n));
    return ends.length === 0 ? null : Math.max(...ends);
  }

  /** An epoch time in seconds of the load. */
  #atS(epochMs: number): number {
    const load = this.load();
    return load && load.startedAt > 0 ? Math.max(0, (epochMs - load.startedAt) / 1000) : 0;
  }

  /** Where "after the faults" starts in the load. */
  afterFaultsS(lastEnd: number | null): number {
    const settle = (this.spec?.timeoutMs ?? 0) / 1000;
    return Math.max(this.#phaseStartS, lastEnd === null ? 0 : this.#atS(lastEnd) + settle);
  }

  /** A phase starts. */
  begin(): void {
    this.#phaseStartS = this.nowS();
  }

  /** A phase ended: record its window. */
  end(name: PhaseName): void {
    const load = this.load();
    if (!load || load.startedAt === 0) return;
    const lastEnd = this.lastFaultEnd();
    const faultEndS = lastEnd === null ? 0 : this.#atS(lastEnd);
    if (name === 'inject') this.#windows.set(name, { fromS: this.#phaseStartS, toS: Math.max(this.nowS(), Math.min(faultEndS, this.spec?.durationS ?? faultEndS)) });
    else if (name === 'recover') this.#windows.set(name, { fromS: this.afterFaultsS(lastEnd), toS: this.nowS() });
    else this.#windows.set(name, { fromS: this.#phaseStartS, toS: this.nowS() });
  }
}

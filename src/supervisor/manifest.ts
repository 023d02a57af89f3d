import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One event in a process's manifest entry (wire form). */
export interface ManifestEvent {
  readonly type: 'started' | 'exited' | 'restarted' | 'healthy' | 'unhealthy' | 'fatal' | 'stopped' | 'paused' | 'resumed' | 'killed';
  readonly time: string;
  readonly pid?: number;
  readonly code?: number | null;
  readonly signal?: string | null;
  readonly restart_ms?: number;
  readonly recovery_ms?: number | null;
  readonly reason?: string;
}

/** One restart: exit seen -> new pid spawned (`restart_ms`) -> health passes again (`recovery_ms`). */
export interface ManifestRestart {
  readonly cause: 'exit' | 'manual';
  readonly exited_at: string;
  readonly pid_before: number | null;
  readonly pid_after: number | null;
  restart_ms: number | null;
  recovery_ms: number | null;
}

export interface ManifestProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly log_file: string;
  pid: number | null;
  state: string;
  health: string;
  paused: boolean;
  restart_count: number;
  pid_history: number[];
  restarts: ManifestRestart[];
  events: ManifestEvent[];
  events_dropped: number;
}

/** `runs/<run_id>/manifest.json`. */
export interface Manifest {
  readonly run_id: string;
  readonly started_at: string;
  updated_at: string;
  stopped_at: string | null;
  readonly config_hash: string;
  health: string;
  processes: Record<string, ManifestProcess>;
  /** Free-form status others add (e.g. the telemetry exporters' export_count / error_count / last_error). */
  annotations: Record<string, unknown>;
}

/**
 * Writes a JSON document atomically (temp file + rename, so a reader never sees half a file),
 * debounced: many changes within `debounceMs` become one write; writes never overlap.
 */
export class ManifestWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;
  private seq = 0;
  private lastError: unknown = null;

  constructor(
    readonly path: string,
    private readonly snapshot: () => unknown,
    private readonly debounceMs = 25,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Schedules a write. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeNow();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes now (waiting for a write in flight) and resolves when the file is on disk. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing) await this.writing;
    this.dirty = true;
    await this.writeNow();
  }

  /** Synchronous write, for `process.on('exit')`. */
  flushSync(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.sync.tmp`;
      writeFileSync(tmp, this.serialize());
      renameSync(tmp, this.path);
      this.dirty = false;
    } catch (err) {
      this.onError(err);
    }
  }

  private serialize(): string {
    return `${JSON.stringify(this.snapshot(), null, 2)}\n`;
  }

  private writeNow(): Promise<void> {
    if (this.writing) return this.writing;
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    const body = this.serialize();
    const tmp = `${this.path}.${process.pid}.${++this.seq}.tmp`;
    this.writing = (async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(tmp, body);
        await rename(tmp, this.path);
        this.lastError = null;
      } catch (err) {
        if (String(err) !== String(this.lastError)) this.onError(err);
        this.lastError = err;
      } finally {
        this.writing = null;
      }
      if (this.dirty) this.markDirty();
    })();
    return this.writing;
  }
}

import { spawn, type ChildProcess } from 'node:child_process';

/*
 * The orphan guard. A SIGKILLed supervisor runs no handler, so its children would live on. A tiny
 * shell, in its own session and deaf to INT/TERM/HUP, holds the read end of a pipe from the
 * supervisor and the list of live process groups:
 *
 *   supervisor ──"+<pgid>\n" / "-<pgid>\n"──▶ sh (stdin)
 *   supervisor dies (any way) ──▶ pipe EOF ──▶ sh: kill -s KILL -- -<pgid> for each live group
 *
 * It adds nothing to a restart (one short pipe write per spawn) and one `sh` per supervisor.
 */
const SCRIPT = [
  "trap '' INT TERM HUP",
  'groups=""',
  'while IFS= read -r line; do',
  '  case "$line" in',
  '    +*) groups="$groups ${line#+}" ;;',
  '    -*) gone=${line#-}; keep=""; for g in $groups; do [ "$g" = "$gone" ] || keep="$keep $g"; done; groups=$keep ;;',
  '  esac',
  'done',
  'for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done',
].join('\n');

/** Kills the registered process groups when the supervisor's process ends, however it ends. */
export class Watchdog {
  private child: ChildProcess | null = null;

  /** Starts the guard (once). Failing to start it is not fatal: the exit hook still covers normal exits. */
  start(): void {
    if (this.child) return;
    try {
      const child = spawn('/bin/sh', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      child.on('error', () => {
        this.child = null;
      });
      child.stdin?.on('error', () => {});
      child.unref();
      // The pipe must not keep the host's event loop alive.
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      this.child = child;
    } catch {
      this.child = null;
    }
  }

  add(pgid: number): void {
    this.write(`+${pgid}\n`);
  }

  remove(pgid: number): void {
    this.write(`-${pgid}\n`);
  }

  /** Ends the guard; groups still registered are killed by it. */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  private write(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }
}

import type { Command } from 'commander';
import { runDaemon } from './serve.js';

/** `faultline supervise`: only the supervisor and its API (processes, alerts, /metrics). */
export function registerSupervise(program: Command): void {
  program
    .command('supervise')
    .description('run the supervisor alone: start the configured processes, restart them, serve /v1/processes and /metrics')
    .requiredOption('-c, --config <file>', 'faultline.yaml with a processes: section')
    .option('--listen <host:port>', 'API address (default 127.0.0.1:8474)')
    .option('--token <token>', 'require Authorization: Bearer <token> on mutating requests and reads of process output (env FAULTLINE_TOKEN; visible in ps: prefer --token-file)')
    .option('--token-file <path>', 'read the token from a file, so that it never shows in ps (env FAULTLINE_TOKEN_FILE)')
    .option('--insecure', 'allow a non-loopback --listen without a token (anyone who reaches the port can inject faults)')
    .option('--runs-dir <dir>', 'where runs/<run_id>/manifest.json goes')
    .action(async (opts: { config: string; listen?: string; token?: string; tokenFile?: string; insecure?: boolean; runsDir?: string }) => runDaemon('supervisor', opts));
}

/**
 * The `faultline` command line. Commands are loaded lazily: the table below names each command
 * and its one-line description; only the command being run (or the one `help` asks about) is
 * imported, so `faultline --version` and `faultline faults ls` never load the drill engine, the
 * executor or the proxies.
 *
 *   argv ──▶ which command? ──▶ import its file, register it ──▶ commander parses ──▶ action
 *                                    (the others: a name and a description, for --help)
 *   any error ──▶ errors.ts: one line (or JSON), exit 1/2 (drill commands: 4), stack with --debug
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { DRILL_COMMANDS, DRILL_EXIT_CODES_HELP, DRILL_USAGE_EXIT, EXIT_CODES_HELP, ExitStatus, printFailure } from './errors.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** The package version, read from package.json. */
export const VERSION = version;

type Register = (program: Command) => unknown;

interface CommandEntry {
  /** The one-line description `faultline --help` shows (the command's file sets the same one). */
  readonly description: string;
  readonly load: () => Promise<Register>;
}

/** Every command, in `--help` order. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: { description: 'run the executor daemon: fault API, proxies, supervised processes, /metrics', load: async () => (await import('./serve.js')).registerServe },
  supervise: {
    description: 'run the supervisor alone: start the configured processes, restart them, serve /v1/processes and /metrics',
    load: async () => (await import('./supervise.js')).registerSupervise,
  },
  apply: { description: 'apply a fault plan on a running executor', load: async () => (await import('./apply.js')).registerApply },
  faults: { description: 'list, inspect and cancel fault applications', load: async () => (await import('./faults.js')).registerFaults },
  halt: { description: 'revert every fault and policy on the executor now', load: async () => (await import('./halt.js')).registerHalt },
  kill: {
    description: 'send a signal (default SIGKILL) to a supervised process; its restart policy then applies',
    load: async () => (await import('./kill.js')).registerKill,
  },
  proxy: { description: 'run a fault-injecting TCP (or --http) proxy in the foreground; Ctrl-C stops it', load: async () => (await import('./proxy.js')).registerProxy },
  run: { description: 'run a drill: preflight, baseline, inject, recover, verify, cleanup; write the report', load: async () => (await import('./run.js')).registerRun },
  check: {
    description: "run a drill's preflight checks only (no load, no fault); exit 0 when all pass, 1 when one fails",
    load: async () => (await import('./check.js')).registerCheck,
  },
  validate: {
    description: 'check a drill file without running it: exit 0 when valid, 4 with every mistake and its path when not',
    load: async () => (await import('./validate.js')).registerValidate,
  },
  report: { description: "print a drill run's summary again, or compare two runs", load: async () => (await import('./report.js')).registerReport },
  demo: {
    description: 'run the flagship drill: payments on embedded PostgreSQL survive a database outage and a SIGKILL',
    load: async () => (await import('./demo.js')).registerDemo,
  },
  drill: { description: 'run resilience drills', load: async () => (await import('./drill.js')).registerDrill },
  schema: {
    description: 'print a JSON Schema: plan (a FaultPlan), drill (a drill file), config (faultline.yaml) or report (report.json)',
    load: async () => (await import('./schema.js')).registerSchema,
  },
};

/** The command the arguments run (`help X` asks about X); undefined for bare `faultline`, `--help`, `--version`. */
export function selectedCommand(args: readonly string[]): string | undefined {
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (first === -1) return undefined;
  const name = args[first] as string;
  if (name === 'help') return args[first + 1];
  return name;
}

/** Adds the exit-code policy to a command's `--help`, and to its subcommands'. */
function addExitCodes(cmd: Command, text: string): void {
  cmd.addHelpText('after', text);
  for (const sub of cmd.commands) addExitCodes(sub, text);
}

/**
 * Builds the program with `only` fully registered (every command when `only` is `'*'`), the
 * others as a name and a description.
 */
export async function buildProgram(only: string | undefined = '*'): Promise<Command> {
  const program = new Command('faultline')
    .description('Chaos engineering and resilience verification: inject faults, recover, prove nothing was lost.')
    .version(VERSION)
    .option('--debug', 'print the stack trace of an error')
    .exitOverride()
    // Errors are printed once, by printFailure, as one line.
    .configureOutput({ outputError: () => undefined });
  program.addHelpText(
    'after',
    `${EXIT_CODES_HELP}\n  run, check, validate and demo keep the drill codes: 0 held, 1 preflight failed, 2 violated, 3 aborted, 4 invalid or usage error, 130 interrupted.`,
  );
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (only === '*' || only === name) {
      await (await entry.load())(program);
      const cmd = program.commands.find((c) => c.name() === name);
      if (cmd) addExitCodes(cmd, DRILL_COMMANDS.has(name) ? DRILL_EXIT_CODES_HELP : EXIT_CODES_HELP);
    } else {
      program.command(name).description(entry.description);
    }
  }
  return program;
}

/** Runs the CLI on `argv` (as `process.argv`) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const args = argv.slice(2);
  const command = selectedCommand(args);
  const known = command !== undefined && command in COMMANDS ? command : undefined;
  const context = { ...(known !== undefined ? { command: known } : {}), json: args.includes('--json'), debug: args.includes('--debug') };
  try {
    const program = await buildProgram(known ?? '');
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? ExitStatus.Ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitStatus.Ok;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') {
        // `faultline help X` asked for help (0); a bare command group (`faultline`, `faultline drill`) is a usage error.
        if (err.exitCode === 0) return ExitStatus.Ok;
        return known !== undefined && DRILL_COMMANDS.has(known) ? DRILL_USAGE_EXIT : ExitStatus.Usage;
      }
    }
    return printFailure(err, context);
  }
}

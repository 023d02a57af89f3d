import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerApply } from './apply.js';
import { registerDrill } from './drill.js';
import { registerFaults } from './faults.js';
import { registerHalt } from './halt.js';
import { registerReport } from './report.js';
import { registerSchema } from './schema.js';
import { registerServe } from './serve.js';
import { registerSupervise } from './supervise.js';
import { registerKill } from './kill.js';
import { registerProxy } from './proxy.js';
import { registerRun } from './run.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerValidate } from './validate.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** The package version, read from package.json. */
export const VERSION = version;

/**
 * Builds the `faultline` command line. Each command lives in its own file under `src/cli/` and
 * only parses and prints; the work is done by the modules.
 */
export function buildProgram(): Command {
  const program = new Command('faultline')
    .description('Chaos engineering and resilience verification: inject faults, recover, prove nothing was lost.')
    .version(VERSION)
    .showHelpAfterError();
  registerSchema(program);
  registerApply(program);
  registerFaults(program);
  registerHalt(program);
  registerDrill(program);
  registerReport(program);
  registerServe(program);
  registerSupervise(program);
  registerKill(program);
  registerProxy(program);
  registerRun(program);
  registerCheck(program);
  registerDemo(program);
  registerValidate(program);
  return program;
}

import type { Command } from 'commander';
import { reportJsonSchema } from '../drill/index.js';
import { faultPlanJsonSchema } from '../plan/index.js';

/** `faultline schema [--report]`: print the JSON Schema of FaultPlan, or of a drill's report.json. */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .option('--report', "print the JSON Schema of a drill's report.json instead")
    .description('print the JSON Schema of a FaultPlan (or, with --report, of a drill report)')
    .action((opts: { report?: boolean }) => {
      const schema = opts.report ? reportJsonSchema() : faultPlanJsonSchema();
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}

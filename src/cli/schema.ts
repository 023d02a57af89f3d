import type { Command } from 'commander';
import { faultPlanJsonSchema } from '../plan/index.js';

/** `faultline schema`: print the JSON Schema of FaultPlan. */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of a FaultPlan')
    .action(() => {
      process.stdout.write(`${JSON.stringify(faultPlanJsonSchema(), null, 2)}\n`);
    });
}

#!/usr/bin/env node
import { buildProgram } from './program.js';
import { FaultlineError } from '../plan/index.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof FaultlineError) {
    process.stderr.write(`faultline: ${err.message}\n`);
    process.exitCode = process.exitCode || 1;
  } else {
    throw err;
  }
}

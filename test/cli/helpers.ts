/** Shared by the CLI tests; the built CLI is run through `test/helpers/cli.ts`. */

/** The one-line error form: `faultline: <what> — <how to fix>`, and nothing else (no stack trace). */
export const ONE_LINE = /^faultline: \S.* — \S.*\n$/;

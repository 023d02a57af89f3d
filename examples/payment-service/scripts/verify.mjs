/**
 * The payment drill's verification (scripts/verify.ts), bundled: plain JavaScript, no tsx.
 *
 *   node examples/payment-service/scripts/verify.mjs <acks.jsonl> <database_url>
 */
import { runBundle } from './bundles.mjs';

await runBundle('verify');

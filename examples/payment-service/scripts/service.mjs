/**
 * Runs the payment service from its one-file bundle (dist/payment-service/service.mjs,
 * see bundles.mjs): plain JavaScript, no tsx. A supervisor restarting this after a SIGKILL only
 * imports the bundle again.
 *
 *   DATABASE_URL=postgres://... PORT=3000 node examples/payment-service/scripts/service.mjs
 *
 * Env: the service's own (see ../README.md).
 */
import { runBundle } from './bundles.mjs';

await runBundle('service');

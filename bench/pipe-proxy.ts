/**
 * The ceiling for a TCP proxy in Node: a bare `pipe()` proxy, the baseline beside faultline in
 * `bench/proxy.ts`. Standalone: `npm run bench -- pipe-proxy <upstreamPort> [...]` prints the
 * ports it listens on (one proxy per upstream port) as JSON and runs until killed.
 * `--with-plan` loads faultline's plan module (zod) first: the same runtime as a faultline process.
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';

/** Starts a bare pipe() proxy on 127.0.0.1 (free port) to 127.0.0.1:`upstreamPort`. */
export function startPipeProxy(upstreamPort: number): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function main(args: string[]): Promise<void> {
  // `--with-plan`: load faultline's plan module (zod) first, as every faultline process does; on
  // Node 20 that alone makes the same pipe() proxy use more CPU per byte (see bench/proxy.ts).
  if (args.includes('--with-plan')) await import('../src/plan/index.js');
  const ports: number[] = [];
  for (const a of args.filter((x) => /^\d+$/.test(x))) ports.push(((await startPipeProxy(Number(a))).address() as net.AddressInfo).port);
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));

#!/usr/bin/env node
// A tiny HTTP service for the example drills (no dependencies).
//   GET  /health        -> 200 {"status":"healthy"}
//   POST /items         -> 201 {"id": "...", ...body}   (kept in memory)
//   GET  /items/:id     -> 200 the item, 404 when unknown
//   DELETE /items       -> 200 {"deleted": n}
//   any other request   -> 200 {"method","url"}
// PORT (default 18080) and HOST (default 127.0.0.1) from the environment; SIGTERM exits cleanly.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const items = new Map();
const json = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') return json(res, 200, { status: 'healthy', pid: process.pid });
  if (url.pathname === '/items' && req.method === 'POST') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      let parsed = {};
      try {
        parsed = body ? JSON.parse(body) : {};
      } catch {
        return json(res, 400, { error: 'body is not JSON' });
      }
      const item = { ...parsed, id: randomUUID() };
      items.set(item.id, item);
      json(res, 201, item);
    });
    return;
  }
  if (url.pathname === '/items' && req.method === 'DELETE') {
    const n = items.size;
    items.clear();
    return json(res, 200, { deleted: n });
  }
  const m = /^\/items\/([^/]+)$/.exec(url.pathname);
  if (m && req.method === 'GET') {
    const item = items.get(m[1]);
    return item ? json(res, 200, item) : json(res, 404, { error: 'no such item' });
  }
  req.resume();
  json(res, 200, { method: req.method, url: req.url });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 18080), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`echo-service listening on ${JSON.stringify(server.address())}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

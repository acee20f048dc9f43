// The webhooks bench's receiver, in its own process (it must not share the server's event loop):
// verifies every delivery with the standardwebhooks library and reports over IPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceiverMessage =
  | { kind: 'listening'; url: string }
  | { kind: 'counts'; verified: number; failed: number; duplicates: number; latenciesMs?: number[] };

let verifier: Webhook | null = null;
let verified = 0;
let failed = 0;
let duplicates = 0;
const seen = new Set<string>();
let latencies: number[] = [];

const send = (m: ReceiverMessage) => process.send!(m);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const payload = verifier!.verify(body, req.headers as Record<string, string>) as { id: string; createdAt: string };
      verified++;
      if (seen.has(payload.id)) duplicates++;
      seen.add(payload.id);
      latencies.push(Date.now() - Date.parse(payload.createdAt));
      res.writeHead(204).end();
    } catch {
      failed++;
      res.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (m: { kind: 'secret'; secret: string } | { kind: 'counts'; latencies?: boolean; reset?: boolean }) => {
  if (m.kind === 'secret') verifier = new Webhook(m.secret);
  if (m.kind === 'counts') {
    send({ kind: 'counts', verified, failed, duplicates, ...(m.latencies ? { latenciesMs: latencies } : {}) });
    if (m.reset) {
      verified = failed = duplicates = 0;
      latencies = [];
      seen.clear();
    }
  }
});

server.listen(0, '127.0.0.1', () => send({ kind: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest` }));

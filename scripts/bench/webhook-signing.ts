// What WEBHOOK_SIGNING's `auto` rests on: main-thread cost of signing inline vs in the piscina pool,
// by body size, measured in the same run (absolute figures swing run to run on a shared box).
import { performance } from 'node:perf_hooks';
import { createSigner } from '../../core/notifications/signing-pool.ts';
import { generateSecret, signatureHeaders } from '../../core/notifications/signing.ts';

export interface SigningCost {
  bodyBytes: number;
  secrets: number;
  inlineUs: number;
  poolMainThreadUs: number;
  poolRoundTripUs: number;
}

export async function measureSigningCost(sizes = [400, 4096, 32_768, 65_536]): Promise<SigningCost[]> {
  const secrets = [generateSecret(), generateSecret()];
  const pool = createSigner({ webhookSigning: 'workers', workerThreads: 2 });
  const rows: SigningCost[] = [];
  try {
    await pool.sign({ deliveryId: 'warm', timestampSeconds: 1, body: 'warm', secrets });
    for (const bodyBytes of sizes) {
      for (const n of [1, 2]) {
        const task = { deliveryId: 'msg_bench', timestampSeconds: 1_700_000_000, body: 'x'.repeat(bodyBytes), secrets: secrets.slice(0, n) };
        let N = 5000;
        for (let i = 0; i < 500; i++) signatureHeaders(task.deliveryId, task.timestampSeconds, task.body, task.secrets);
        let t = performance.now();
        for (let i = 0; i < N; i++) signatureHeaders(task.deliveryId, task.timestampSeconds, task.body, task.secrets);
        const inlineUs = ((performance.now() - t) * 1000) / N;
        // Main-thread busy time per pooled task with 64 in flight (event-loop utilisation × wall time).
        const elu0 = performance.eventLoopUtilization();
        let next = 0;
        await Promise.all(Array.from({ length: 64 }, async () => { while (next++ < N) await pool.sign(task); }));
        const poolMainThreadUs = (performance.eventLoopUtilization(elu0).active * 1000) / N;
        N = 1000;
        t = performance.now();
        for (let i = 0; i < N; i++) await pool.sign(task);
        const poolRoundTripUs = ((performance.now() - t) * 1000) / N;
        const r1 = (x: number) => Math.round(x * 10) / 10;
        rows.push({ bodyBytes, secrets: n, inlineUs: r1(inlineUs), poolMainThreadUs: r1(poolMainThreadUs), poolRoundTripUs: r1(poolRoundTripUs) });
      }
    }
  } finally {
    await pool.close();
  }
  return rows;
}

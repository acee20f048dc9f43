// Where webhook HMAC signing runs (WEBHOOK_SIGNING): inline, or a piscina pool.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Config } from '../../config/index.ts';
import { signatureHeaders, type SignatureHeaders } from './signing.ts';
import type { SignTask } from './signing-worker.ts';

/**
 * `auto` signs in the pool only when the bytes to MAC (body × secrets) reach this. Measured on this
 * box (scripts/bench/webhook-signing.ts, same run): inline costs ~10 µs for a typical 400-byte body
 * and grows ~2–4 µs per KiB per secret; a pool task costs the main thread ~90–190 µs (post, wake,
 * resolve) whatever its size. They cross between 32 and 64 KiB of MAC'd bytes, so ordinary event
 * bodies (< 2 KiB) are always signed inline and the pool only takes very large ones.
 */
export const AUTO_WORKERS_MIN_BYTES = 48 * 1024;

export type SignMode = 'inline' | 'workers';

export interface Signer {
  /** Where a task of this size is signed under the configured mode. */
  modeFor(task: SignTask): SignMode;
  sign(task: SignTask): Promise<{ headers: SignatureHeaders; mode: SignMode }>;
  close(): Promise<void>;
}

// Node loads the .ts worker itself (type stripping), in the thread as in the main process.
const WORKER_FILE = fileURLToPath(new URL('./signing-worker.ts', import.meta.url));

const inline = (t: SignTask) => signatureHeaders(t.deliveryId, t.timestampSeconds, t.body, t.secrets);

export function createSigner(config: Pick<Config, 'webhookSigning' | 'workerThreads'>): Signer {
  let pool: Piscina | undefined;
  // Started on first use: inline and small-body auto deployments never pay for idle threads.
  const poolOf = () => (pool ??= new Piscina({
    filename: WORKER_FILE,
    minThreads: 1, maxThreads: config.workerThreads, idleTimeout: 60_000,
  }));
  const modeFor = (t: SignTask): SignMode => {
    if (config.webhookSigning !== 'auto') return config.webhookSigning;
    return t.body.length * t.secrets.length >= AUTO_WORKERS_MIN_BYTES ? 'workers' : 'inline';
  };
  return {
    modeFor,
    async sign(task) {
      const mode = modeFor(task);
      if (mode === 'inline') return { headers: inline(task), mode };
      return { headers: (await poolOf().run(task)) as SignatureHeaders, mode };
    },
    async close() {
      const p = pool;
      pool = undefined;
      await p?.destroy();
    },
  };
}

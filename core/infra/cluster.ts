import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './logger.ts';

/** What a worker sends its primary once its server listens: `{ type: LISTENING, url }`. */
export const LISTENING = 'tenx:listening';

/**
 * How long the primary waits before restarting a worker that crashed, `crashesInARow` being the
 * slot's quick crashes so far (this one included): base, then doubling up to max. A worker that
 * crashes at once every time (a bad deploy, a database refusing connections) is retried ever more
 * slowly instead of in a tight loop; one that lived for a while is back after the base delay.
 */
export function restartDelay(crashesInARow: number, baseMs = 500, maxMs = 30_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, crashesInARow - 1));
}

export interface SupervisorOptions {
  workers: number;
  log: Logger;
  /** After a signal, how long the workers get to drain before they are killed. */
  drainTimeoutMs: number;
  /** A worker that lived at least this long before crashing starts its slot's backoff over. */
  stableMs?: number;
  restartBaseMs?: number;
  restartMaxMs?: number;
}

export interface Supervisor {
  /** Every worker listens: resolves with their URL. Rejects when one exits before (start-up failed). */
  ready: Promise<string>;
  /** Forwards the signal to every worker and waits for all to exit: true when each drained cleanly. */
  stop(signal: NodeJS.Signals): Promise<boolean>;
}

interface Slot {
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  listening: boolean;
  restart?: NodeJS.Timeout;
}

/**
 * The primary of `tenx serve --workers N` (node:cluster): forks N workers sharing one port, waits
 * for all of them to listen, replaces one that exits (with backoff), and on a signal forwards it to
 * every worker, each of which drains like a single server (clicks flushed, deliveries finished).
 */
export function superviseWorkers(o: SupervisorOptions): Supervisor {
  const stableMs = o.stableMs ?? 30_000;
  const slots: Slot[] = Array.from({ length: o.workers }, () => ({ worker: null, startedAt: 0, crashes: 0, listening: false }));
  const slotOf = new Map<Worker, Slot>();
  let started = false; // every worker listened once: from now on an exit is a crash to repair
  let stopping: Promise<boolean> | null = null;
  let clean = true;
  let drained = () => {};
  let readyOk: (url: string) => void = () => {};
  let readyFail: (err: Error) => void = () => {};
  const ready = new Promise<string>((ok, fail) => ((readyOk = ok), (readyFail = fail)));
  let url = '';

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    const worker = cluster.fork();
    Object.assign(slot, { worker, startedAt: Date.now(), listening: false });
    slotOf.set(worker, slot);
    o.log.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  };

  const onMessage = (worker: Worker, msg: { type?: unknown; url?: unknown }) => {
    const slot = slotOf.get(worker);
    if (msg?.type !== LISTENING || !slot) return;
    slot.listening = true;
    url ||= String(msg.url);
    if (!started && slots.every((s) => s.listening)) {
      started = true;
      readyOk(url);
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const slot = slotOf.get(worker);
    if (!slot) return;
    slotOf.delete(worker);
    slot.worker = null;
    const info = { worker: worker.id, pid: worker.process.pid, code, signal };
    if (stopping) {
      // A worker still starting may die of the signal itself: it held no click yet.
      if (code !== 0 && !(signal && !slot.listening)) clean = false;
      o.log.info(info, 'worker stopped');
      if (slots.every((s) => !s.worker)) drained();
      return;
    }
    if (!started) {
      readyFail(new Error(`worker ${worker.id} exited while starting (code ${code}${signal ? `, signal ${signal}` : ''})`));
      return;
    }
    const livedMs = Date.now() - slot.startedAt;
    slot.crashes = livedMs >= stableMs ? 1 : slot.crashes + 1;
    const restartInMs = restartDelay(slot.crashes, o.restartBaseMs, o.restartMaxMs);
    o.log.warn({ ...info, livedMs, restartInMs }, 'worker exited; restarting it');
    slot.restart = setTimeout(() => fork(slot), restartInMs);
  };

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  slots.forEach(fork);

  const stop = (signal: NodeJS.Signals) =>
    (stopping ??= new Promise<boolean>((ok) => {
      for (const slot of slots) {
        clearTimeout(slot.restart);
        slot.worker?.process.kill(signal);
      }
      if (slots.every((s) => !s.worker)) return ok(clean);
      const force = setTimeout(() => {
        o.log.error({ workers: slots.filter((s) => s.worker).map((s) => s.worker!.id) }, 'workers did not drain in time; killing them');
        clean = false;
        for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      }, o.drainTimeoutMs);
      drained = () => {
        clearTimeout(force);
        ok(clean);
      };
    }));

  return { ready, stop };
}

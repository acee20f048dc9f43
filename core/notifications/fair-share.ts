// Fair shares of a process's webhook send slots: each handle, and each subscription of a handle,
// may hold only part of them, so a tenant's slow or hanging endpoint only ever slows itself.
import { Slots } from '../infra/slots.ts';

/** Whose send a delivery is: the handle and the subscription (webhook) it goes to. */
export interface SendKey {
  handle: string;
  webhookId: string;
}

export interface ShareLimits {
  /** Sends in flight per handle (WEBHOOK_CONCURRENCY_PER_HANDLE). */
  perHandle: number;
  /** Sends in flight per subscription (WEBHOOK_CONCURRENCY_PER_ENDPOINT). */
  perEndpoint: number;
}

// Before a key has a measured send time, a refused send asks again after about this long.
const FIRST_GUESS_MS = 100;
const MAX_WAIT_MS = 5 * 60_000;
/** Never ask again sooner than this: a refused send costs a round trip to Redis. */
const MIN_WAIT_MS = 10;

export class FairShare {
  private readonly slots = new Slots();
  private readonly limits: ShareLimits;
  /** Moving average of send durations per key (handle or endpoint). */
  private readonly sendMs = new Map<string, number>();
  /**
   * Refused sends waiting to ask again: id → the key that refused it, and until when it counts (a
   * job another process picks up never comes back here, so entries expire).
   */
  private readonly waiting = new Map<string, { key: string; until: number }>();
  private readonly waitingPerKey = new Map<string, number>();
  private lastPrune = Date.now();
  /** Sends waiting in place for a key's next free slot (a bounded few per key; the rest are deferred). */
  private readonly inPlace = new Map<string, Array<() => void>>();

  constructor(limits: ShareLimits) {
    this.limits = { perHandle: limits.perHandle, perEndpoint: limits.perEndpoint };
  }

  /**
   * A place under the handle's and the subscription's shares, or which key is full. The release
   * records how long the send took (it paces the sends refused meanwhile).
   */
  enter(key: SendKey): { release: () => void } | { full: string } {
    const handleKey = `handle:${key.handle}`;
    const endpointKey = `webhook:${key.webhookId}`;
    const slot = this.slots.take([[handleKey, this.limits.perHandle], [endpointKey, Math.min(this.limits.perEndpoint, this.limits.perHandle)]]);
    if ('full' in slot) return slot;
    const started = Date.now();
    return {
      release: () => {
        const ms = Date.now() - started;
        for (const k of [handleKey, endpointKey]) this.sendMs.set(k, 0.8 * (this.sendMs.get(k) ?? ms) + 0.2 * ms);
        slot.release();
        for (const k of [endpointKey, handleKey]) this.inPlace.get(k)?.shift()?.();
      },
    };
  }

  /**
   * Waits for a slot of `fullKey` to be released, for at most `timeoutMs`, when fewer than that key's
   * limit already wait (each holds one of the worker's slots, so a key never holds more than twice its
   * share); false at once otherwise, and the caller defers the send. A burst to one endpoint then
   * hands each freed slot to the next send at once, instead of a round trip through the queue.
   */
  waitInPlace(fullKey: string, timeoutMs: number): Promise<boolean> {
    const queue = this.inPlace.get(fullKey) ?? [];
    if (queue.length >= this.limitOf(fullKey)) return Promise.resolve(false);
    this.inPlace.set(fullKey, queue);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(wake);
        if (i >= 0) queue.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      queue.push(wake);
    });
  }

  private limitOf(key: string): number {
    return key.startsWith('handle:') ? this.limits.perHandle : Math.min(this.limits.perEndpoint, this.limits.perHandle);
  }

  /**
   * For a queue that cannot wait in place (BullMQ): how long the send `id`, refused by `fullKey`,
   * should wait before asking again. About one send time per round of the sends already waiting
   * on that key, so a backlog behind a hanging endpoint is asked again a few times per send, not
   * in a hot loop, and roughly in the order it was refused.
   */
  deferMs(id: string, fullKey: string): number {
    this.prune();
    this.resumed(id);
    const waiting = (this.waitingPerKey.get(fullKey) ?? 0) + 1;
    this.waitingPerKey.set(fullKey, waiting);
    const limit = this.limitOf(fullKey);
    const jitter = 0.8 + Math.random() * 0.4;
    // The key's own send time once known (a fast endpoint's backlog drains in milliseconds per round;
    // flooring it at the first guess paced a 10,000-event burst to one endpoint at ~40/s).
    const perSend = Math.max(1, this.sendMs.get(fullKey) ?? FIRST_GUESS_MS);
    const ms = Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, Math.round(perSend * Math.ceil(waiting / limit) * jitter)));
    this.waiting.set(id, { key: fullKey, until: Date.now() + ms + 60_000 });
    return ms;
  }

  /** The send `id` is being asked again: it no longer counts as waiting. */
  resumed(id: string): void {
    const entry = this.waiting.get(id);
    if (entry === undefined) return;
    this.waiting.delete(id);
    const n = (this.waitingPerKey.get(entry.key) ?? 1) - 1;
    if (n > 0) this.waitingPerKey.set(entry.key, n);
    else this.waitingPerKey.delete(entry.key);
  }

  /** Once a minute: forget waiting sends that never came back to this process. */
  private prune(): void {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [id, entry] of this.waiting) if (entry.until < now) this.resumed(id);
    if (this.sendMs.size > 100_000) this.sendMs.clear(); // a guess per key, cheap to relearn
  }
}

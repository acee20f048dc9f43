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

export class FairShare {
  private readonly slots = new Slots();
  private readonly limits: ShareLimits;
  /** Moving average of send durations per key (handle or endpoint). */
  private readonly sendMs = new Map<string, number>();
  /** Refused sends waiting to ask again, by the key that refused them (ids → key). */
  private readonly waiting = new Map<string, string>();
  private readonly waitingPerKey = new Map<string, number>();

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
      },
    };
  }

  /**
   * For a queue that cannot wait in place (BullMQ): how long the send `id`, refused by `fullKey`,
   * should wait before asking again. About one send time per round of the sends already waiting
   * on that key, so a backlog behind a hanging endpoint is asked again a few times per send, not
   * in a hot loop, and roughly in the order it was refused.
   */
  deferMs(id: string, fullKey: string): number {
    if (!this.waiting.has(id)) {
      this.waiting.set(id, fullKey);
      this.waitingPerKey.set(fullKey, (this.waitingPerKey.get(fullKey) ?? 0) + 1);
    }
    const limit = fullKey.startsWith('handle:') ? this.limits.perHandle : Math.min(this.limits.perEndpoint, this.limits.perHandle);
    const rounds = Math.ceil((this.waitingPerKey.get(fullKey) ?? 1) / limit);
    const jitter = 0.8 + Math.random() * 0.4;
    return Math.min(MAX_WAIT_MS, Math.round(Math.max(FIRST_GUESS_MS, this.sendMs.get(fullKey) ?? FIRST_GUESS_MS) * rounds * jitter));
  }

  /** The send `id` is being asked again: it no longer counts as waiting. */
  resumed(id: string): void {
    const key = this.waiting.get(id);
    if (key === undefined) return;
    this.waiting.delete(id);
    const n = (this.waitingPerKey.get(key) ?? 1) - 1;
    if (n > 0) this.waitingPerKey.set(key, n);
    else this.waitingPerKey.delete(key);
  }
}

// Counted slots under several caps at once (per process, per handle, per token…), taken all or none.

/** One cap a taker must fit under: `key` names what is counted, `limit` how many may be held. */
export type SlotClaim = readonly [key: string, limit: number];

export class Slots {
  private readonly held = new Map<string, number>();

  /**
   * Takes one slot under every claim, or none when any is full (then returns the key that was full).
   * The release function gives them back once, however often it is called.
   */
  take(claims: readonly SlotClaim[]): { release: () => void } | { full: string } {
    for (const [key, limit] of claims) if (this.count(key) >= limit) return { full: key };
    for (const [key] of claims) this.held.set(key, this.count(key) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const [key] of claims) {
          const n = this.count(key) - 1;
          if (n > 0) this.held.set(key, n);
          else this.held.delete(key);
        }
      },
    };
  }

  count(key: string): number {
    return this.held.get(key) ?? 0;
  }
}

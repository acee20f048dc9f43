// How a handle's streams and exports are shared out on a server process: one cap for the whole handle
// (ANALYTICS_SSE_MAX_PER_HANDLE, EXPORT_MAX_PER_HANDLE: a tenant never takes the process), of which the
// partners of the realm together may hold half and each partner half of that (at least one each), so a
// partner never locks out the managers, nor one partner every other.

export type Claim = [key: string, cap: number];

const half = (n: number) => Math.max(1, Math.floor(n / 2));

/** What a caller claims: the handle's share, and for a partner of the realm first its own part and the partners'. */
export function shareClaims(handle: string, perHandle: number, partnerId?: string): Claim[] {
  const claims: Claim[] = [[`handle:${handle}`, perHandle]];
  if (partnerId === undefined) return claims;
  // Its own first: a partner at its own limit is told so, whatever else is full.
  return [[`partner:${handle}/${partnerId}`, half(half(perHandle))], [`realm:${handle}`, half(perHandle)], ...claims];
}

const WORDS = {
  stream: { mine: (n: number) => `You already hold ${n} open analytics stream${n === 1 ? '' : 's'}; close one first.`,
    handle: (n: number) => `This handle already holds ${n} open analytics streams; close one first.`,
    busy: 'Too many analytics streams are open on this program right now; close one or retry shortly.' },
  export: { mine: (n: number) => `You already run ${n} export${n === 1 ? '' : 's'}; retry when one has finished.`,
    handle: (n: number) => `This handle already runs ${n} exports; retry when one has finished.`,
    busy: 'Too many exports are running on this program right now; retry shortly.' },
};

/** Why a claim was refused, for its caller: a partner learns its own count, never the handle's or other partners'. */
export function shareRefusal(full: string, claims: Claim[], kind: 'stream' | 'export'): string {
  const words = WORDS[kind];
  const cap = claims.find(([key]) => key === full)?.[1] ?? 0;
  if (full.startsWith('partner:')) return words.mine(cap);
  return claims.length > 1 ? words.busy : words.handle(cap);
}

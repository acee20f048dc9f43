// A payout named by the first characters of its id, as the dashboard shows it (0407724c): found among the payouts the
// token may list (a partner token: its own), page by page.
import type { TenxClient } from './client.ts';

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The full id of the one payout whose id starts with `given`; an error naming none, or the ones it could be. */
export async function payoutId(c: TenxClient, given: string): Promise<string> {
  if (FULL_ID.test(given)) return given;
  const found: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.list<{ payoutId: string }>(c.readPath('/payouts'), { limit: 500, cursor });
    found.push(...page.data.map((p) => p.payoutId).filter((id) => id.startsWith(given)));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && found.length < 2);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new Error(`no payout's id starts with ${given} (\`tenx payouts list\` shows them)`);
  throw new Error(`${given} starts the ids of several payouts (${found.join(', ')}…): give more of it`);
}

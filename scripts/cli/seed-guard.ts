// `tenx seed-demo` on a handle that already exists: it adds handle-wide 10% reward rules (every partner of the handle
// earns them), raises the burst detector's limit (bot protection off) and sends fake clicks and conversions. On a
// handle with partners, campaigns or rules of its own that is damage, not a demo: it stops unless told --yes.
import type { TenxClient } from './client.ts';
import { ApiError } from './errors.ts';

/** What the handle holds besides the demo's own partners, campaigns and reward rules ("partner realpartner", …). */
export async function foreignContent(
  client: TenxClient,
  demo: { partners: string[]; campaigns: string[]; rewards: string[] },
): Promise<string[]> {
  const found: string[] = [];
  const look = async (path: string, key: string, known: string[], label: string) => {
    try {
      const page = await client.list<Record<string, string>>(client.handlePath(path), { limit: 500 });
      for (const item of page.data) if (!known.includes(item[key])) found.push(`${label} ${item[key]}`);
    } catch (err) {
      // A login that may not read this list cannot tell: the other lists still can.
      if (!(err instanceof ApiError && err.status === 403)) throw err;
    }
  };
  await look('/partners', 'partnerId', demo.partners, 'partner');
  await look('/campaigns', 'campaignId', demo.campaigns, 'campaign');
  await look('/rewards', 'rewardId', demo.rewards, 'reward rule');
  return found;
}

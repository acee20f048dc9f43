// `tenx seed-demo` on a handle that already exists: it adds handle-wide 10% reward rules (every partner of the handle
// earns them), raises the burst detector's limit (bot protection off) and sends fake clicks and conversions. On a
// handle with partners, campaigns or rules of its own that is damage, not a demo: it stops unless told --yes.
import type { TenxClient } from './client.ts';
import { ApiError } from './errors.ts';

/**
 * What the handle holds besides the demo's own partners, campaigns and reward rules ("partner realpartner", …). A login
 * that may read none of the three lists cannot tell, and says so: with write scopes alone it would seed a real handle
 * unseen.
 */
export async function foreignContent(
  client: TenxClient,
  demo: { partners: string[]; campaigns: string[]; rewards: string[] },
): Promise<string[]> {
  const found: string[] = [];
  const unreadable: string[] = [];
  const look = async (path: string, key: string, known: string[], label: string) => {
    try {
      const page = await client.list<Record<string, string>>(client.handlePath(path), { limit: 500 });
      for (const item of page.data) if (!known.includes(item[key])) found.push(`${label} ${item[key]}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      unreadable.push(`${label}s`);
    }
  };
  await look('/partners', 'partnerId', demo.partners, 'partner');
  await look('/campaigns', 'campaignId', demo.campaigns, 'campaign');
  await look('/rewards', 'rewardId', demo.rewards, 'reward rule');
  // One list readable and holding nothing foreign is a fresh handle's sign; none readable tells nothing.
  if (unreadable.length === 3) found.push(`${unreadable.join(', ')} this login cannot read`);
  return found;
}

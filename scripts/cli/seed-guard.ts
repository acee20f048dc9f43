// `tenx seed-demo` on a handle that already exists: it adds handle-wide 10% reward rules (every partner of the handle
// earns them), raises the burst detector's limit (bot protection off) and sends fake clicks and conversions. On a
// handle with partners, campaigns or rules of its own that is damage, not a demo: it stops unless told --yes.
import type { TenxClient } from './client.ts';
import { ApiError } from './errors.ts';

/** What the demo makes: an item counts as the demo's own only when it is this, not merely when its id is one of these. */
export interface DemoContent {
  partners: readonly { partnerId: string; name: string }[];
  campaigns: readonly { campaignId: string; primaryLink: { slug: string; destinationUrl: string } }[];
  rewards: readonly { rewardId: string; body: { type: string; percent: number } }[];
}

type Item = Record<string, unknown> & { primaryLink?: { slug?: unknown; destinationUrl?: unknown } };

// A partner "alpha" of the handle's own, or a campaign "partner-alpha" with its own link, matched the demo's ids: the
// seed then took them as its own, gave the campaign the demo's routing rules and added its handle-wide rules (a pass
// found it). Matched by what the demo writes: a partner's name, a campaign's slug and destination, a rule's percent.
const isDemo = {
  partner: (item: Item, demo: DemoContent) => demo.partners.some((p) => p.partnerId === item.partnerId && p.name === item.name),
  campaign: (item: Item, demo: DemoContent) =>
    demo.campaigns.some(
      (c) => c.campaignId === item.campaignId && c.primaryLink.slug === item.primaryLink?.slug && c.primaryLink.destinationUrl === item.primaryLink?.destinationUrl,
    ),
  // Not by event: an older seed gave demo-sale-10pct the affiliate_click event.
  'reward rule': (item: Item, demo: DemoContent) => demo.rewards.some((r) => r.rewardId === item.rewardId && r.body.type === item.type && r.body.percent === item.percent),
};

/**
 * What the handle holds besides the demo's own partners, campaigns and reward rules ("partner realpartner", …). A login
 * that may read none of the three lists cannot tell, and says so: with write scopes alone it would seed a real handle
 * unseen.
 */
export async function foreignContent(client: TenxClient, demo: DemoContent): Promise<string[]> {
  const found: string[] = [];
  const unreadable: string[] = [];
  const look = async (path: string, key: string, label: keyof typeof isDemo) => {
    try {
      const page = await client.list<Item>(client.handlePath(path), { limit: 500 });
      for (const item of page.data) if (!isDemo[label](item, demo)) found.push(`${label} ${String(item[key])}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      unreadable.push(`${label}s`);
    }
  };
  await look('/partners', 'partnerId', 'partner');
  await look('/campaigns', 'campaignId', 'campaign');
  await look('/rewards', 'rewardId', 'reward rule');
  // One list readable and holding nothing foreign is a fresh handle's sign; none readable tells nothing.
  if (unreadable.length === 3) found.push(`${unreadable.join(', ')} this login cannot read`);
  return found;
}

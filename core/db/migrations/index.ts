import { Migration0001Kernel } from './0001-kernel.ts';
import { Migration0002Tracking } from './0002-tracking.ts';
import { Migration0003AnalyticsFunnel } from './0003-analytics-funnel.ts';
import { Migration0004ConversionRollupDeltas } from './0004-conversion-rollup-deltas.ts';
import { Migration0005Webhooks } from './0005-webhooks.ts';
import { Migration0006AnalyticsDimensions } from './0006-analytics-dimensions.ts';
import { Migration0007AnalyticsTotals } from './0007-analytics-totals.ts';
import { Migration0008DeliveryRetention } from './0008-delivery-retention.ts';
import { Migration0009ConversionRollupsInline } from './0009-conversion-rollups-inline.ts';
import { Migration0010TokenOwnerAndV21Scopes } from './0010-token-owner-and-v21-scopes.ts';
import { Migration0011MerchantConversions } from './0011-merchant-conversions.ts';
import { Migration0012WebhookRetryTail } from './0012-webhook-retry-tail.ts';
import { Migration0014Partners } from './0014-partners.ts';
import { Migration0015SubIds } from './0015-sub-ids.ts';
import { Migration0016Commissions } from './0016-commissions.ts';
import { Migration0017ConversionReversals } from './0017-conversion-reversals.ts';
import { Migration0018Postbacks } from './0018-postbacks.ts';
import { Migration0019CompressedRollups } from './0019-compressed-rollups.ts';
import { Migration0020PartitionedClicks } from './0020-partitioned-clicks.ts';
import { Migration0021ConversionHours } from './0021-conversion-hours.ts';
import { Migration0022InlinableClickIdTime } from './0022-inlinable-click-id-time.ts';
import { Migration0023CampaignPartnerHistory } from './0023-campaign-partner-history.ts';

/** Every migration in order; a module adds its own file here. Applied on start. */
export const migrations = [
  { name: '0001-kernel', class: Migration0001Kernel },
  { name: '0002-tracking', class: Migration0002Tracking },
  { name: '0003-analytics-funnel', class: Migration0003AnalyticsFunnel },
  { name: '0004-conversion-rollup-deltas', class: Migration0004ConversionRollupDeltas },
  { name: '0005-webhooks', class: Migration0005Webhooks },
  { name: '0006-analytics-dimensions', class: Migration0006AnalyticsDimensions },
  { name: '0007-analytics-totals', class: Migration0007AnalyticsTotals },
  { name: '0008-delivery-retention', class: Migration0008DeliveryRetention },
  { name: '0009-conversion-rollups-inline', class: Migration0009ConversionRollupsInline },
  { name: '0010-token-owner-and-v21-scopes', class: Migration0010TokenOwnerAndV21Scopes },
  { name: '0011-merchant-conversions', class: Migration0011MerchantConversions },
  { name: '0012-webhook-retry-tail', class: Migration0012WebhookRetryTail },
  { name: '0014-partners', class: Migration0014Partners },
  { name: '0015-sub-ids', class: Migration0015SubIds },
  { name: '0016-commissions', class: Migration0016Commissions },
  { name: '0017-conversion-reversals', class: Migration0017ConversionReversals },
  { name: '0018-postbacks', class: Migration0018Postbacks },
  { name: '0019-compressed-rollups', class: Migration0019CompressedRollups },
  { name: '0020-partitioned-clicks', class: Migration0020PartitionedClicks },
  { name: '0021-conversion-hours', class: Migration0021ConversionHours },
  { name: '0022-inlinable-click-id-time', class: Migration0022InlinableClickIdTime },
  { name: '0023-campaign-partner-history', class: Migration0023CampaignPartnerHistory },
];

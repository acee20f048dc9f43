import pino from 'pino';
import type { ClickRow } from '../../core/redirect/click-buffer.ts';
import type { OutboxService } from '../../core/outbox/index.ts';

/** Click `i` of the ClickBuffer unit tests: an id that sorts by `i`, everything else plain. */
export const clickRow = (i: number): ClickRow => ({
  clickId: `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`, handle: 'h', campaignId: 'c', occurredAt: new Date(),
  country: 'US', segment: 'desktop', device: 'desktop', source: 'direct', referrerHost: null, language: null,
  destinationUrl: 'https://merchant.example/', userAgent: 'ua', ipHash: null, isBot: false, botReason: null,
  sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
});

/** An outbox no handle subscribes to (no link.clicked events): batches take the plain insert path. */
export const noSubscribers = { wants: () => false, emit: async () => {}, wake: () => {} } as unknown as OutboxService;

export const silentLog = pino({ level: 'silent' });

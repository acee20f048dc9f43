import { asClass, asFunction } from 'awilix';
import type { TenxModule } from '../module.ts';
import type { OutboxService } from '../outbox/index.ts';
import type { Pool } from 'pg';
import { DeliveryEngine } from './engine.ts';
import { trackDeliveryBacklog, untrackDeliveryBacklog } from './metrics.ts';
import { SubscriptionInterest } from './interest.ts';
import { NotificationsPanel } from './panel.ts';
import { DeliveryRetention } from './retention.ts';
import { PostbackService } from './postbacks.ts';
import { notificationRoutes } from './routes.ts';
import { createSecretBox } from './secret-box.ts';
import { WebhookService } from './service.ts';
import { warnUnloadedChannels } from './unloaded-channels.ts';
import type { PluginHost } from '../plugins/index.ts';
import type { Logger } from 'pino';

export { eventDocs } from './event-docs.ts';
export { POSTBACK_EVENTS } from './postback-fanout.ts';
export { POSTBACK_MACROS } from './postback-macros.ts';
export type { CreatePostback, PostbackService } from './postbacks.ts';
export { templateFormProblem } from './postbacks.ts';
export { notificationsPage, notificationsQuery } from './schemas.ts';

/**
 * Webhook subscriptions, the delivery engine (outbox → deliveries → BullMQ or in-process timers)
 * and the notifications panel.
 */
export const notificationsModule: TenxModule = {
  name: 'notifications',
  register(container) {
    container.register({
      secretBox: asFunction(({ config }) => createSecretBox(config.secretKey)).singleton(),
      webhookInterest: asClass(SubscriptionInterest).singleton(),
      webhookEngine: asClass(DeliveryEngine).singleton(),
      webhooks: asClass(WebhookService).singleton(),
      notificationsPanel: asClass(NotificationsPanel).singleton(),
      postbacks: asClass(PostbackService).singleton(),
      deliveryRetention: asClass(DeliveryRetention).singleton(),
    });
  },
  routes: () => notificationRoutes,
  async start({ webhookInterest, webhookEngine, outbox, deliveryRetention, pg, pluginHost, log }) {
    trackDeliveryBacklog(pg as Pool);
    await warnUnloadedChannels(pg as Pool, pluginHost as PluginHost, log as Logger);
    await (webhookInterest as SubscriptionInterest).start();
    // The click flusher writes link.clicked events only for handles that subscribed to them.
    (outbox as OutboxService).setInterestProvider((webhookInterest as SubscriptionInterest).wants);
    await (webhookEngine as DeliveryEngine).start();
    await (deliveryRetention as DeliveryRetention).start();
  },
  async stop({ webhookInterest, webhookEngine, deliveryRetention, pg }) {
    untrackDeliveryBacklog(pg as Pool);
    await (deliveryRetention as DeliveryRetention).stop();
    await (webhookEngine as DeliveryEngine).stop();
    (webhookInterest as SubscriptionInterest).stop();
  },
};

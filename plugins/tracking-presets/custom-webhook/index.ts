// custom_webhook: the ctx token rides to the destination and events go out as signed webhooks.
import { definePlugin } from '../../../core/plugins/sdk.ts';

export default definePlugin({
  name: 'custom_webhook',
  version: '1.0.0',
  kind: 'tracking-preset',
  description: 'Appends the ctx token to the destination and emits click and conversion webhooks.',
  ctxParam: 'ctx',
  emits: ['link.clicked', 'conversion.tested', 'conversion.deduped'],
});

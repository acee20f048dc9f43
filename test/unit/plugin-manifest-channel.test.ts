import { expect } from 'chai';
import { manifestProblems } from '../../core/plugins/manifest.ts';
import { createWebhookBody } from '../../core/notifications/schemas.ts';

// Black-box pass: a notification channel named `Acme.Chat` (a valid plugin name) loaded, was listed as
// enabled in GET .../plugins, and could never be subscribed: POST .../webhooks refuses any `channel`
// outside ^[a-z0-9][a-z0-9_-]{0,63}$. Such a channel now fails at load, naming the rule.
describe('Plugin manifests: a notification channel is named as webhooks name their channel', () => {
  const deliver = async () => ({ ok: true, latencyMs: 1 });
  const channel = (name: string) => ({ name, version: '1.0.0', kind: 'notification-channel', deliver });
  const subscribable = new RegExp(createWebhookBody.properties.channel.pattern);

  for (const name of ['Acme.Chat', 'MyChannel', 'chat.v2']) {
    it(`refuses ${name}, which no webhook could subscribe to`, () => {
      expect(subscribable.test(name)).to.equal(false);
      const problems = manifestProblems(channel(name));
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^notification-channel name must match/);
    });
  }

  for (const name of ['webhook', 'slack', 'discord', 'acme-chat_2']) {
    it(`accepts ${name}`, () => {
      expect(subscribable.test(name)).to.equal(true);
      expect(manifestProblems(channel(name))).to.deep.equal([]);
    });
  }

  it('leaves the other kinds their wider names (goal types are upper case: APP_INSTALL)', () => {
    expect(
      manifestProblems({
        name: 'APP_INSTALL',
        version: '1.0.0',
        kind: 'goal-type',
        trackingPreset: 'custom_webhook',
        conversionEvent: 'install',
        eventTypes: ['install'],
      }),
    ).to.deep.equal([]);
    expect(
      manifestProblems({ name: 'Acme.Detector', version: '1.0.0', kind: 'bot-detector', inspect: () => ({ bot: false }) }),
    ).to.deep.equal([]);
  });
});

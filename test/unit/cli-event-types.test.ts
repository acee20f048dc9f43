import { expect } from 'chai';
import { EVENT_TYPES as SERVER_EVENT_TYPES } from '../../core/outbox/index.ts';
import { EVENT_TYPES } from '../../scripts/cli/webhooks.ts';

// The CLI keeps its own copy (a command loads only its own file, never the server's modules): its help lists them.
describe('tenx webhooks add --events', () => {
  it('lists exactly the event types the server accepts', () => {
    expect([...EVENT_TYPES].sort()).to.deep.equal([...SERVER_EVENT_TYPES].sort());
  });
});

import { expect } from 'chai';
import { EVENT_TYPES as SERVER_EVENT_TYPES } from '../../core/outbox/index.ts';
import { EVENT_TYPES } from '../../scripts/cli/webhooks.ts';
import { EVENT_TYPES as DASHBOARD_EVENT_TYPES } from '../../core/dashboard/public/js/event-types.js';

// The CLI keeps its own copy (a command loads only its own file, never the server's modules): its help lists them.
describe('tenx webhooks add --events', () => {
  it('lists exactly the event types the server accepts', () => {
    expect([...EVENT_TYPES].sort()).to.deep.equal([...SERVER_EVENT_TYPES].sort());
  });
});

// The dashboard's webhook form keeps one too (its checkboxes), for the same reason.
describe("the dashboard's webhook form", () => {
  it('offers exactly the event types the server accepts', () => {
    expect([...DASHBOARD_EVENT_TYPES].sort()).to.deep.equal([...SERVER_EVENT_TYPES].sort());
  });
});

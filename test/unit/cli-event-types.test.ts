import { expect } from 'chai';
import { EVENT_TYPES as SERVER_EVENT_TYPES } from '../../core/outbox/index.ts';
import { EVENT_TYPES } from '../../scripts/cli/webhooks.ts';
import { EVENT_READ_SCOPES as DASHBOARD_EVENT_READ_SCOPES, EVENT_TYPES as DASHBOARD_EVENT_TYPES, POSTBACK_EVENTS as DASHBOARD_POSTBACK_EVENTS, POSTBACK_MACROS as DASHBOARD_POSTBACK_MACROS } from '../../core/dashboard/public/js/event-types.js';
import { READ_SCOPES } from '../../core/notifications/event-scopes.ts';
import { POSTBACK_EVENTS } from '../../core/notifications/postback-fanout.ts';
import { POSTBACK_MACROS } from '../../core/notifications/postback-macros.ts';

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
  it('disables exactly the event types whose read scopes the server asks for', () => {
    expect(DASHBOARD_EVENT_READ_SCOPES).to.deep.equal(READ_SCOPES);
  });
});

// The portal's postback form: its event checkboxes and the macros its help lists.
describe("the portal's postback form", () => {
  it('offers exactly the postback events and macros the server accepts', () => {
    expect([...DASHBOARD_POSTBACK_EVENTS].sort()).to.deep.equal([...POSTBACK_EVENTS].sort());
    expect([...DASHBOARD_POSTBACK_MACROS]).to.deep.equal([...POSTBACK_MACROS]);
  });
});

import { expect } from 'chai';
import { createHandle, twoServers } from '../support/server.ts';

describe('plugins per handle', () => {
  const servers = twoServers();

  it('lists registered plugins by kind with their per-handle state', async () => {
    const { a } = servers;
    const { handle, auth } = await createHandle(a);
    const res = await a.http.get(`/v2/handles/${handle}/plugins`).set(auth).expect(200);
    expect(res.body).to.have.keys('goalTypes', 'trackingPresets', 'botDetectors', 'notificationChannels');
    const clickout = res.body.goalTypes.find((p: { name: string }) => p.name === 'AFFILIATE_CLICKOUT');
    expect(clickout).to.include({ version: '1.0.0', enabled: true });
    // What its conversions may report, so what a reward rule may pay: the dashboard's reward form suggests these.
    const events = Object.fromEntries(res.body.goalTypes.map((p: { name: string; eventTypes: string[] }) => [p.name, p.eventTypes]));
    expect(events).to.deep.include({ AFFILIATE_CLICKOUT: ['affiliate_click', 'sale'], SALE: ['purchase'] });
    expect(res.body.trackingPresets.every((p: { eventTypes: unknown }) => p.eventTypes === null)).to.equal(true);
    expect(res.body.trackingPresets.map((p: { name: string }) => p.name)).to.include('custom_webhook');
  });

  it('reads one plugin as the list gives it; an unknown name is 404; another handle\'s token is refused', async () => {
    const { a } = servers;
    const { handle, auth } = await createHandle(a);
    const other = await createHandle(a);
    await a.http.put(`/v2/handles/${handle}/plugins/burst`).set(auth).send({ enabled: true, settings: { maxClicksPerMinute: 42 } }).expect(200);
    const list = (await a.http.get(`/v2/handles/${handle}/plugins`).set(auth).expect(200)).body;
    const one = await a.http.get(`/v2/handles/${handle}/plugins/burst`).set(auth).expect(200);
    expect(one.body).to.deep.equal(list.botDetectors.find((p: { name: string }) => p.name === 'burst'));
    expect(one.body.settings).to.include({ maxClicksPerMinute: 42 });
    const unknown = await a.http.get(`/v2/handles/${handle}/plugins/nope`).set(auth).expect(404);
    expect(unknown.body.error.code).to.equal('not_found');
    const foreign = await a.http.get(`/v2/handles/${handle}/plugins/burst`).set(other.auth);
    expect(foreign.status).to.equal(404); // API.md: another tenant's existence is never revealed
    expect(JSON.stringify(foreign.body)).to.not.include('42');
  });

  it('changes a plugin for one handle only, audited, seen by another process within 1 s', async () => {
    const { a, b } = servers;
    const one = await createHandle(a);
    const two = await createHandle(a);
    await b.http.get(`/v2/handles/${one.handle}/plugins`).set(one.auth).expect(200); // warm b's cache
    const put = await a.http.put(`/v2/handles/${one.handle}/plugins/LEAD_CAPTURE`).set(one.auth).send({ enabled: false }).expect(200);
    expect(put.body).to.include({ name: 'LEAD_CAPTURE', enabled: false });
    await new Promise((r) => setTimeout(r, 1000));
    const seen = await b.http.get(`/v2/handles/${one.handle}/plugins`).set(one.auth).expect(200);
    expect(seen.body.goalTypes.find((p: { name: string }) => p.name === 'LEAD_CAPTURE').enabled).to.equal(false);
    const other = await a.http.get(`/v2/handles/${two.handle}/plugins`).set(two.auth).expect(200);
    expect(other.body.goalTypes.find((p: { name: string }) => p.name === 'LEAD_CAPTURE').enabled).to.equal(true);
    const audit = await a.http.get(`/v2/handles/${one.handle}/audit-events?type=plugin.settings_changed`).set(one.auth).expect(200);
    expect(audit.body.data).to.have.length(1);
    expect(audit.body.data[0].payload.after.enabled).to.equal(false);
  });

  it("validates settings against the plugin's own schema", async () => {
    const { a } = servers;
    const { handle, auth } = await createHandle(a);
    const res = await a.http.put(`/v2/handles/${handle}/plugins/partner_segment`).set(auth).send({ enabled: true, settings: { bySource: 'nope' } }).expect(400);
    expect(res.body.error.details[0].pointer).to.match(/^\/body\/settings/);
    // A misspelt setting is named, not just "must NOT have additional properties".
    const typo = await a.http.put(`/v2/handles/${handle}/plugins/burst`).set(auth).send({ enabled: true, settings: { maxClicksPerMinut: 5 } }).expect(400);
    expect(typo.body.error.details).to.deep.include({ pointer: '/body/settings/maxClicksPerMinut', message: 'is not a known field' });
    await a.http.put(`/v2/handles/${handle}/plugins/no-such-plugin`).set(auth).send({ enabled: true }).expect(404);
    // A plugin that declares no settings takes none: a setting sent to it would be stored and never read.
    const none = await a.http.put(`/v2/handles/${handle}/plugins/AFFILIATE_CLICKOUT`).set(auth).send({ enabled: true, settings: { x: 1 } }).expect(400);
    expect(none.body.error.details[0].pointer).to.equal('/body/settings');
    await a.http.put(`/v2/handles/${handle}/plugins/AFFILIATE_CLICKOUT`).set(auth).send({ enabled: true, settings: {} }).expect(200);
    await a.http.put(`/v2/handles/${handle}/plugins/AFFILIATE_CLICKOUT`).set(auth).send({ enabled: true }).expect(200);
    const ok = await a.http.put(`/v2/handles/${handle}/plugins/partner_segment`).set(auth).send({ enabled: true, settings: { bySource: { email: 'newsletter' } } }).expect(200);
    expect(ok.body.settings).to.deep.equal({ bySource: { email: 'newsletter' } });
  });
});

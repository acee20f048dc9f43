import { expect } from 'chai';
import { createHandle, createToken, startTestServer, uniqueHandle, type TestServer } from '../support/server.ts';

describe('tenants and personal access tokens', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('creates a handle with the admin token and returns an owner token once', async () => {
    const handle = uniqueHandle('acme');
    const res = await server.http.post('/v2/handles').set(server.admin()).send({ handle, name: 'Acme Network' }).expect(201);
    expect(res.body).to.include({ handle, name: 'Acme Network', reportingCurrency: 'USD' });
    expect(res.body.ownerToken).to.match(/^tenx_pat_/);
    expect(res.body.createdAt).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(res.headers['x-request-id']).to.be.a('string');
    const { rows } = await server.sql.query('select token_hash, scopes from access_tokens where handle = $1', [handle]);
    expect(rows).to.have.length(1);
    expect(rows[0].token_hash).to.not.equal(res.body.ownerToken);
    expect(rows[0].scopes).to.include('tokens.write');
  });

  it('refuses a duplicate handle with 409 and reserved or malformed handles with 400', async () => {
    const { handle } = await createHandle(server);
    const dup = await server.http.post('/v2/handles').set(server.admin()).send({ handle, name: 'x' }).expect(409);
    expect(dup.body.error.code).to.equal('conflict');
    for (const bad of ['v2', 'dashboard', 'A-b', '-ab', 'a', 'x'.repeat(41)]) {
      const res = await server.http.post('/v2/handles').set(server.admin()).send({ handle: bad, name: 'x' }).expect(400);
      expect(res.body.error.code).to.equal('invalid_request');
      expect(res.body.error.details[0].pointer).to.equal('/body/handle');
    }
  });

  it('says why a reserved handle is refused, not ajv\'s "must NOT be valid"', async () => {
    const res = await server.http.post('/v2/handles').set(server.admin()).send({ handle: 'dashboard', name: 'x' }).expect(400);
    const [detail] = res.body.error.details;
    expect(detail.pointer).to.equal('/body/handle');
    expect(detail.message).to.not.include('must NOT be valid');
    expect(detail.message).to.include('"dashboard"').and.include('reserved');
  });

  it('needs the admin token to create a handle', async () => {
    const { ownerToken } = await createHandle(server);
    await server.http.post('/v2/handles').send({ handle: uniqueHandle(), name: 'x' }).expect(401);
    await server.http.post('/v2/handles').set({ Authorization: 'Bearer nope' }).send({ handle: uniqueHandle(), name: 'x' }).expect(401);
    const res = await server.http.post('/v2/handles').set({ Authorization: `Bearer ${ownerToken}` }).send({ handle: uniqueHandle(), name: 'x' }).expect(403);
    expect(res.body.error.code).to.equal('forbidden');
  });

  it('issues scoped tokens, lists them without secrets, and revokes them', async () => {
    const { handle, ownerToken, auth } = await createHandle(server);
    const created = await server.http.post(`/v2/handles/${handle}/tokens`).set(auth).send({ name: 'ci', scopes: ['campaigns.read'] }).expect(201);
    expect(created.body).to.include.keys('tokenId', 'name', 'scopes', 'expiresAt', 'token');
    const list = await server.http.get(`/v2/handles/${handle}/tokens`).set(auth).expect(200);
    expect(list.body.nextCursor).to.equal(null);
    expect(list.body.data).to.have.length(2);
    expect(JSON.stringify(list.body)).to.not.include('tenx_pat_');
    const readOnly = { Authorization: `Bearer ${created.body.token}` };
    await server.http.get(`/v2/handles/${handle}/tokens`).set(readOnly).expect(403);
    await server.http.delete(`/v2/handles/${handle}/tokens/${created.body.tokenId}`).set(auth).expect(200);
    await server.http.get(`/v2/handles/${handle}/plugins`).set(readOnly).expect(401);
    expect(ownerToken).to.be.a('string');
  });

  it('tells any valid token of the handle what it may do (GET .../tokens/current), without its secret', async () => {
    const { handle, auth } = await createHandle(server);
    const reader = await createToken(server, handle, auth.Authorization.slice(7), ['analytics.read']);
    const me = await server.http.get(`/v2/handles/${handle}/tokens/current`).set(reader.auth).expect(200);
    expect(me.body).to.deep.include({ kind: 'pat', handle, tokenId: reader.tokenId, scopes: ['analytics.read'], expiresAt: null });
    expect(JSON.stringify(me.body)).to.not.include('tenx_pat_');
    const admin = await server.http.get(`/v2/handles/${handle}/tokens/current`).set(server.admin()).expect(200);
    expect(admin.body).to.include({ kind: 'admin', handle });
    expect(admin.body.scopes).to.include.members(['tokens.write', 'plugins.write']);
    // Another handle's token: 404, as everywhere; a revoked one: 401.
    const other = await createHandle(server);
    await server.http.get(`/v2/handles/${handle}/tokens/current`).set(other.auth).expect(404);
    await server.http.delete(`/v2/handles/${handle}/tokens/${reader.tokenId}`).set(auth).expect(200);
    await server.http.get(`/v2/handles/${handle}/tokens/current`).set(reader.auth).expect(401);
  });

  it('rejects expired tokens with 401', async () => {
    const { handle, auth } = await createHandle(server);
    const soon = new Date(Date.now() + 1500).toISOString();
    const res = await server.http.post(`/v2/handles/${handle}/tokens`).set(auth).send({ name: 'short', scopes: ['plugins.read'], expiresAt: soon }).expect(201);
    await server.http.get(`/v2/handles/${handle}/plugins`).set({ Authorization: `Bearer ${res.body.token}` }).expect(200);
    await new Promise((r) => setTimeout(r, 1700));
    await server.http.get(`/v2/handles/${handle}/plugins`).set({ Authorization: `Bearer ${res.body.token}` }).expect(401);
  });

  it('paginates tokens with an opaque cursor', async () => {
    const { handle, ownerToken, auth } = await createHandle(server);
    for (let i = 0; i < 4; i++) await createToken(server, handle, ownerToken, ['campaigns.read']);
    const first = await server.http.get(`/v2/handles/${handle}/tokens?limit=2`).set(auth).expect(200);
    expect(first.body.data).to.have.length(2);
    const second = await server.http.get(`/v2/handles/${handle}/tokens?limit=2&cursor=${first.body.nextCursor}`).set(auth).expect(200);
    const third = await server.http.get(`/v2/handles/${handle}/tokens?limit=2&cursor=${second.body.nextCursor}`).set(auth).expect(200);
    expect(third.body.nextCursor).to.equal(null);
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((t: { tokenId: string }) => t.tokenId);
    expect(new Set(ids).size).to.equal(5);
    await server.http.get(`/v2/handles/${handle}/tokens?cursor=garbage`).set(auth).expect(400);
    await server.http.get(`/v2/handles/${handle}/tokens?limit=501`).set(auth).expect(400);
    // Only decimal digits: JavaScript's other spellings of 2 are not a limit (a fuzz pass found them taken).
    for (const spelling of ['0x2', '0b10', '2e0', '%2B2', '%202', '2%20', '2.0']) {
      const res = await server.http.get(`/v2/handles/${handle}/tokens?limit=${spelling}`).set(auth).expect(400);
      expect(res.body.error.details, spelling).to.deep.equal([{ pointer: '/query/limit', message: 'must be an integer in decimal digits' }]);
    }
    expect((await server.http.get(`/v2/handles/${handle}/tokens?limit=2`).set(auth).expect(200)).body.data).to.have.length(2);
  });
});

import { expect } from 'chai';
import { ledgerRows } from '../support/commissions.ts';
import { CONVERSIONS, serverWithPartnerCampaign, storedClick } from '../support/conversions.ts';

// A change is stamped when it is made, not when its request began (found by a two-process race pass): a bulk approval
// that waited for a rival PATCH's row lock was audited, and its commission's updatedAt set, before the PATCH it came
// after, so the audit log read as if the commission had ended up rejected. The statements that change rows run after
// the statement that locks them, and stamp statement_timestamp(); the audit event takes the row's time.

describe('status changes are stamped when they are made, after any change they waited for', () => {
  const s = serverWithPartnerCampaign();

  /** Holds the commission's row lock while `request` starts and waits for it; returns the lock's release time. */
  async function behindALock(commissionId: string, request: () => Promise<{ status: number; body: Record<string, unknown> }>) {
    const rival = await s.server.sql.connect();
    try {
      await rival.query('begin');
      await rival.query('select 1 from commissions where commission_id = $1 for update', [commissionId]);
      const answer = request();
      // The request's statement is waiting for the row (its transaction began before the release below).
      for (let i = 0; ; i++) {
        const { rows } = await s.server.sql.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%commissions%'`);
        if (rows[0].n > 0) break;
        if (i > 200) throw new Error('the request never waited for the lock');
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 50));
      const released = (await rival.query('select clock_timestamp() as at')).rows[0].at as Date;
      await rival.query('commit');
      return { res: await answer, released };
    } finally {
      rival.release();
    }
  }

  const auditOf = async (commissionId: string) => {
    const res = await s.server.http.get(`/v2/handles/${s.t.handle}/audit-events?limit=500`).set(s.t.auth).expect(200);
    return res.body.data.filter((e: { type: string; payload?: { commissionId?: string } }) => e.type === 'commission.status_changed' && e.payload?.commissionId === commissionId);
  };

  it('PATCH: updatedAt and the audit event come after the lock it waited for', async () => {
    const [id] = await ledgerRows(s.server, [{ handle: s.t.handle, partnerId: 'alpha', amount: '4.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) }]);
    const { res, released } = await behindALock(id, () =>
      s.server.http.patch(`/v2/handles/${s.t.handle}/commissions/${id}`).set(s.t.auth).send({ status: 'approved', reason: 'checked' }).then((r) => r));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(Date.parse(String(res.body.updatedAt))).to.be.at.least(released.getTime());
    const [event] = await auditOf(id);
    expect(event, 'its audit event').to.not.equal(undefined);
    expect(Date.parse(event.createdAt)).to.be.at.least(released.getTime());
  });

  it('a reversal: the adjustment it appends, and its commission.created event, come after the lock it waited for', async () => {
    await s.server.http.post(`/v2/handles/${s.t.handle}/partners`).set(s.t.auth).send({ partnerId: 'rev', name: 'Rev' }).expect(201);
    await s.server.http.patch(`/v2/handles/${s.t.handle}/campaigns/${s.t.campaignId}`).set(s.t.auth).send({ partnerId: 'rev' }).expect(200);
    await s.server.http.put(`/v2/handles/${s.t.handle}/rewards/ten`).set(s.t.auth).send({ scope: {}, event: 'affiliate_click', type: 'percent', percent: 10 }).expect(201);
    const { ctx } = await storedClick(s.server, s.t.handle, s.t.campaignId);
    const sale = await s.server.http.post(CONVERSIONS).set(s.t.auth).send({ ctx, eventType: 'affiliate_click', idempotencyKey: 'late-refund', value: 50 }).expect(201);
    const { rows: [commission] } = await s.server.sql.query(`select commission_id from commissions where conversion_id = $1`, [sale.body.conversionId]);
    const { res, released } = await behindALock(commission.commission_id, () =>
      s.server.http.post(`/v2/handles/${s.t.handle}/conversions/reversals`).set(s.t.auth).send({ idempotencyKey: 'late-refund', reversalKey: 'r1', amount: 10, reason: 'refund' }).then((r) => r));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const adjustment = (res.body.commissions as Array<{ type: string; commissionId: string; createdAt: string }>).find((c) => c.type === 'adjustment')!;
    expect(Date.parse(adjustment.createdAt)).to.be.at.least(released.getTime());
    const audit = await s.server.http.get(`/v2/handles/${s.t.handle}/audit-events?limit=500`).set(s.t.auth).expect(200);
    const created = audit.body.data.find((e: { type: string; payload?: { commissionId?: string } }) => e.type === 'commission.created' && e.payload?.commissionId === adjustment.commissionId);
    expect(Date.parse(created.createdAt)).to.be.at.least(released.getTime());
  });

  it('bulk: each commission it moved is stamped after the lock it waited for', async () => {
    const [id] = await ledgerRows(s.server, [{ handle: s.t.handle, partnerId: 'alpha', amount: '5.00', status: 'pending', holdUntil: new Date(Date.now() + 86_400_000) }]);
    const { res, released } = await behindALock(id, () =>
      s.server.http.post(`/v2/handles/${s.t.handle}/commissions/bulk`).set(s.t.auth).send({ commissionIds: [id], status: 'rejected', reason: 'duplicate' }).then((r) => r));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const row = await s.server.http.get(`/v2/handles/${s.t.handle}/commissions?partnerId=alpha&status=rejected`).set(s.t.auth).expect(200);
    const moved = row.body.data.find((c: { commissionId: string }) => c.commissionId === id);
    expect(Date.parse(moved.updatedAt)).to.be.at.least(released.getTime());
    const [event] = await auditOf(id);
    expect(Date.parse(event.createdAt)).to.be.at.least(released.getTime());
  });
});

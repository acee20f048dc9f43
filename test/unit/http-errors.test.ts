import { expect } from 'chai';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { HttpError, renderFailure, toHttpError, unavailable } from '../../core/http/errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('toHttpError: a lost database is 503 unavailable with retry-after, never 500', () => {
  const unreachable: Array<[string, unknown]> = [
    ['57P01 admin shutdown (a restart)', withCode('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash shutdown', withCode('57P02')],
    ['57P03 cannot connect now (starting up)', withCode('57P03', 'the database system is starting up')],
    ['08006 connection failure', withCode('08006')],
    ['08003 connection does not exist', withCode('08003')],
    ['08P01 protocol violation', withCode('08P01')],
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET', 'read ECONNRESET')],
    ['EPIPE', withCode('EPIPE', 'write EPIPE')],
    ['an AggregateError of refused addresses', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed')],
    ['"Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
    ['"Connection terminated"', new Error('Connection terminated')],
    ['"Connection terminated due to connection timeout"', new Error('Connection terminated due to connection timeout')],
    ["the pool's connect timeout", new Error('timeout exceeded when trying to connect')],
    ['a client that is no longer queryable', new Error('Client has encountered a connection error and is not queryable')],
    ["MikroORM's pool timeout", Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' })],
  ];
  for (const [what, err] of unreachable) {
    it(`maps ${what} to 503 unavailable with retry-after`, () => {
      const e = toHttpError(err);
      expect(e.status).to.equal(503);
      expect(e.code).to.equal('unavailable');
      expect(Number(e.headers?.['retry-after'])).to.be.within(1, 30);
    });
  }

  it('keeps the transient SQLSTATEs (serialization, deadlock, lock and statement timeouts) at 503 with retry-after 1', () => {
    for (const code of ['40001', '40P01', '55P03', '57014']) {
      const e = toHttpError(withCode(code));
      expect([e.status, e.code, e.headers?.['retry-after']], code).to.deep.equal([503, 'unavailable', '1']);
    }
  });

  it('still answers 500 internal_error to a bug or a constraint violation', () => {
    for (const err of [new TypeError('x is undefined'), withCode('23505', 'duplicate key'), withCode('42P01', 'relation does not exist'), 'a string', null]) {
      const e = toHttpError(err);
      expect([e.status, e.code]).to.deep.equal([500, 'internal_error']);
    }
  });

  it('passes an HttpError through unchanged', () => {
    const mine = new HttpError(409, 'conflict', 'taken');
    expect(toHttpError(mine)).to.equal(mine);
  });
});

describe('renderFailure: what a failure logs', () => {
  const capture = () => {
    const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
    const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
    return { lines, log: { warn: at('warn'), error: at('error') } as unknown as Logger };
  };
  const ctx = () => ({ state: { requestId: 'r1' }, set() {} }) as unknown as Context;

  it('logs the 503s of an outage once a minute as a warning, without a stack, and a real 500 as an error with it', () => {
    const { lines, log } = capture();
    for (let i = 0; i < 50; i++) renderFailure(ctx(), unavailable('The link cannot be resolved right now; try again shortly.'), log);
    for (let i = 0; i < 50; i++) renderFailure(ctx(), withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), log);
    renderFailure(ctx(), new TypeError('boom'), log);
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'request answered 503 unavailable (a retry may pass)'],
      ['warn', 'request answered 503 unavailable (a retry may pass)'],
      ['error', 'request failed'],
    ]);
    expect(lines[0].fields).to.deep.equal({ requestId: 'r1', status: 503 });
    expect(lines[1].fields).to.deep.equal({ requestId: 'r1', status: 503, cause: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect((lines[2].fields.err as Error).stack).to.include('TypeError: boom');
  });
});

import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BASE_DATABASE_URL } from '../support/database.ts';
import { runNode } from '../support/run.ts';

const SUPPORT = fileURLToPath(new URL('../support/database.ts', import.meta.url));

/** `node -e` of an ES module importing test/support/database.ts, in a process of its own run (as a bench is). */
async function inOwnProcess(body: string): Promise<string> {
  const env = { ...process.env };
  delete env.TENX_TEST_RUN; // a bench started from a shell belongs to no test run
  const res = await runNode(['--input-type=module', '-e', `import * as db from ${JSON.stringify(SUPPORT)};\n${body}`], env);
  if (res.code !== 0) throw new Error(`node exited ${res.code}: ${res.stderr}`);
  return res.stdout.trim();
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

// A run drops the databases of runs whose process is gone (a killed `npm test`). The analytics bench's
// `--keep` database is left on purpose by a process that has ended, to be measured again with `--reuse`
// (docs/performance.md): named like a test database, the next test run's sweep dropped it.
describe('test databases: what the sweep of dead runs drops', function () {
  this.timeout(60_000);
  const made: string[] = [];
  after(async () => {
    const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
    await client.connect();
    try {
      for (const name of made) await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  });

  it("drops an ended process's database, and keeps one made to be kept (the analytics bench's --keep)", async () => {
    const [ordinary, kept] = JSON.parse(await inOwnProcess(
      'const a = await db.createTestDatabase(); const b = await db.createTestDatabase({ kept: true }); console.log(JSON.stringify([a.name, b.name]));',
    )) as [string, string];
    made.push(ordinary, kept);
    expect(await databaseExists(ordinary)).to.equal(true);
    expect(await databaseExists(kept)).to.equal(true);

    // Another process starts a test server's database: the sweep of dead runs runs first.
    await inOwnProcess('const t = await db.createTestDatabase({ migrated: true }); await t.drop(); await db.dropRunDatabases();');

    expect(await databaseExists(ordinary), 'the ended process\'s ordinary database').to.equal(false);
    expect(await databaseExists(kept), 'the kept database').to.equal(true);
  });
});

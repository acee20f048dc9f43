import { dropRedisKeys, dropRunDatabases, RUN } from './database.ts';

/**
 * Mocha global fixtures (.mocharc.cjs `require`): they run once in mocha's main process, serial or `--parallel`
 * (where root hooks would run once per file). The set-up names the run for the workers it forks; the teardown
 * removes what the whole run made.
 */
export function mochaGlobalSetup() {
  process.env.TENX_TEST_RUN = RUN;
}

export async function mochaGlobalTeardown() {
  await dropRunDatabases();
  // Every test server's Redis keys (BullMQ's repeatable jobs outlive it) are under `tenx-test-<its database>`, and
  // every database this run made is named after it: ~540 keys a run were left in the shared Redis.
  await dropRedisKeys(`tenx-test-tenx_test_${RUN}_`);
}

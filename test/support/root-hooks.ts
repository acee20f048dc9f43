import { dropRedisKeys, dropTemplateDatabase } from './database.ts';

/** Mocha root hooks (.mocharc.json `require`): what the whole run shares is removed when it ends. */
export const mochaHooks = {
  async afterAll() {
    await dropTemplateDatabase();
    // Every test server's Redis keys (BullMQ's repeatable jobs outlive it) are under `tenx-test-<its database>`, and
    // every database this run made is named after this process: ~540 keys a run were left in the shared Redis.
    await dropRedisKeys(`tenx-test-tenx_test_${process.pid}_`);
  },
};

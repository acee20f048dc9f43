import { dropTemplateDatabase } from './database.ts';

/** Mocha root hooks (.mocharc.json `require`): what the whole run shares is removed when it ends. */
export const mochaHooks = {
  async afterAll() {
    await dropTemplateDatabase();
  },
};

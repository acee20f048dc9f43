// Mocha's settings. `npm test` adds --parallel: each worker process runs whole files, and the run's databases and
// Redis keys are named after mocha's main process (test/support/root-hooks.ts), so every worker's are swept at the end.
// The suite waits more than it computes (servers starting, flush intervals, retries, Chromium): one worker more than
// the machine has cores keeps them busy; at most 4 keep PostgreSQL's default 100 connections enough.
// TEST_JOBS=1 runs the files one after the other.
const { availableParallelism } = require('node:os');

module.exports = {
  extension: ['ts'],
  timeout: 20000,
  exit: true,
  require: ['test/support/root-hooks.ts'],
  jobs: Number(process.env.TEST_JOBS) || Math.min(4, availableParallelism() + 1),
};

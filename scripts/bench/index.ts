// `npm run bench -- <redirect|conversions|analytics|webhooks|payouts|embedded|all>`: each prints a table and writes
// bench/results/<name>.json. Figures are only comparable within one run on this shared machine.
const benches: Record<string, () => Promise<unknown>> = {
  redirect: async () => (await import('./redirect.ts')).runRedirectBench(),
  conversions: async () => (await import('./conversions.ts')).runConversionsBench(),
  analytics: async () => (await import('./analytics.ts')).runAnalyticsBench(),
  webhooks: async () => (await import('./webhooks.ts')).runWebhooksBench(),
  payouts: async () => (await import('./payouts.ts')).runPayoutsBench(),
  embedded: async () => (await import('./embedded.ts')).runEmbeddedBench(),
};

const which = process.argv[2] ?? 'all';
const names = which === 'all' ? Object.keys(benches) : [which];
for (const name of names) {
  if (!benches[name]) {
    console.error(`unknown bench "${name}"; choose one of: ${Object.keys(benches).join(', ')}, all`);
    process.exit(2);
  }
  console.log(`\n== bench: ${name}`);
  await benches[name]();
}
process.exit(0);

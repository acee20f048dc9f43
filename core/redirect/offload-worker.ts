// A piscina worker: routing-rule matching and ctx signing off the main thread (REDIRECT_OFFLOAD).
// It loads the goal-type plugins itself, since their condition kinds are functions that cannot be sent.
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { builtinPluginPaths, type ConditionKind, type GoalTypePlugin, loadPlugin } from '../plugins/index.ts';
import { createCtxCodec } from './ctx-token.ts';
import { locate, type Located } from './locate.ts';
import type { OffloadTask, OffloadWorkerData } from './offload.ts';
import { compileRules, type CompiledRules } from './routing.ts';

const data = workerData as OffloadWorkerData;
const root = fileURLToPath(new URL('../..', import.meta.url));
const codec = createCtxCodec(data.ctxSecrets);

const conditionsByGoal = new Map<string, Record<string, ConditionKind>>();
const specs = [...builtinPluginPaths(root).filter((p) => p.includes('goal-types')), ...data.plugins];
for (const spec of specs) {
  const m = await loadPlugin(spec, root);
  if (m.kind === 'goal-type') conditionsByGoal.set(m.name, (m as GoalTypePlugin).conditions ?? {});
}

// Compiled rule sets by link version; a changed campaign has a new version, old ones age out.
const MAX_COMPILED = 2000;
const compiled = new Map<string, CompiledRules>();

function rulesFor(task: OffloadTask): CompiledRules {
  let rules = compiled.get(task.version);
  if (!rules) {
    rules = compileRules(JSON.parse(task.rulesJson), conditionsByGoal.get(task.goalType) ?? {});
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(task.version, rules);
  }
  return rules;
}

export default function run(task: OffloadTask): Located {
  return locate(rulesFor(task), task.fallbackUrl, task.facts, task.ctxParam, codec, task.claims);
}

/** A rule with a program (approved, or suggested) and one example, as a compile job (and an approval) leave it. */
import fs from 'node:fs';
import path from 'node:path';
import type { Paths } from '../../src/paths.js';
import { addExample, addProgram, taskHash, type ReplayResult } from '../../src/program/store.js';
import { Store } from '../../src/queue/store.js';
import { RuleSet } from '../../src/rules/registry.js';

export const LEDGER_PROGRAM = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'ledger-program.py'), 'utf8');

/** `replay(exampleJob)`: the replays to record, for the example job the seed made. */
export function seedProgram(paths: Paths, source: string, ruleName = 'ledger', status: 'approved' | 'suggested' = 'approved', replay: (job: number) => ReplayResult[] = () => []): void {
  const rules = RuleSet.of(paths);
  rules.reload();
  const rule = rules.rules.get(ruleName);
  if (!rule) throw new Error(rules.errors.map((e) => e.message).join('\n'));
  const store = new Store(paths.dbFile);
  try {
    const ex = store.enqueue({ rule: ruleName, file: '/earlier/AzureInterior.pdf', sha256: 'x', trigger: 'watch', dedupe: false });
    if (!ex) throw new Error('not queued');
    store.db.prepare("UPDATE jobs SET status = 'succeeded' WHERE id = ?").run(ex.id);
    const dir = path.join(paths.dataDir, 'examples', ruleName, String(ex.id));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'example.json'), JSON.stringify({ job: ex.id, input: 'AzureInterior.pdf', outputs: [{ path: 'ledger.csv', kind: 'created' }] }));
    addExample(store.db, { job_id: ex.id, rule: ruleName, task_hash: taskHash(rule), dir, cost_usd: 0.05 });
    addProgram(store.db, { rule: ruleName, taskHash: taskHash(rule), status, source, examples: [ex.id], replay: replay(ex.id), ...(status === 'approved' ? { approvedBy: 'test' } : {}) });
  } finally {
    store.close();
  }
}

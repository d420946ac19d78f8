/**
 * A real dropwork home in a temp folder, with a real Store (SQLite file) and the real Worker
 * running real deterministic rules. HOME points into it too, so the trash is a temp folder.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { defaults } from '../../src/config.js';
import { Events } from '../../src/events.js';
import { silentLogger } from '../../src/log.js';
import { resolvePaths, type Paths } from '../../src/paths.js';
import { FINAL, type JobRow } from '../../src/queue/status.js';
import { Store } from '../../src/queue/store.js';
import { Worker } from '../../src/queue/worker.js';
import { RuleSet } from '../../src/rules/registry.js';
import { sha256File } from '../../src/watch/fingerprint.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const exec = promisify(execFile);

export interface TestHome {
  root: string;
  env: NodeJS.ProcessEnv;
  paths: Paths;
  store: Store;
  rules: RuleSet;
  /** Writes the rules file and reloads the rules. */
  setRules(yaml: string): void;
  /** Drops a file into a folder under the home and runs it through `rule` to its end (or hold). */
  run(rule: string, relFile: string, content: string): Promise<JobRow>;
  /** The `dropwork` command, compiled, against this home. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

export function makeHome(rulesYaml: string): TestHome {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-approve-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: root, DROPWORK_HOME: path.join(root, 'home'), DROPWORK_NOTIFY: 'off', XDG_DATA_HOME: '' };
  // applyAfter's trash reads process.env: keep it inside the temp folder.
  process.env.HOME = root;
  delete process.env.XDG_DATA_HOME;
  const paths = resolvePaths(env);
  for (const d of [paths.home, paths.rulesDir, paths.dataDir, paths.jobsDir]) fs.mkdirSync(d, { recursive: true });
  const store = new Store(paths.dbFile);
  const rules = RuleSet.of(paths);
  const setRules = (yaml: string): void => {
    fs.writeFileSync(path.join(paths.rulesDir, 'rules.yaml'), yaml);
    rules.reload();
    if (rules.errors.length) throw new Error(rules.errors.map((e) => e.message).join('\n'));
  };
  setRules(rulesYaml);

  const run = async (rule: string, relFile: string, content: string): Promise<JobRow> => {
    const file = path.join(paths.home, relFile);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    const st = fs.statSync(file);
    const job = store.enqueue({ rule, file, sha256: await sha256File(file), trigger: 'manual', dedupe: false, payload: { size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: st.birthtimeMs } });
    if (!job) throw new Error('not queued');
    const worker = new Worker({ store, config: () => ({ ...defaults, notify: false }), rules: () => rules.rules, paths, events: new Events(), log: silentLogger, pollMs: 20 });
    worker.start();
    const deadline = Date.now() + 15_000;
    let row = store.get(job.id) as JobRow;
    while (!FINAL.includes(row.status) && row.status !== 'waiting') {
      if (Date.now() > deadline) throw new Error(`job ${job.id} still ${row.status}`);
      await new Promise((r) => setTimeout(r, 20));
      row = store.get(job.id) as JobRow;
    }
    await worker.stop(1000);
    return row;
  };

  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [path.join(REPO, 'bin', 'dropwork.js'), ...args], { env, cwd: root });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  return { root, env, paths, store, rules, setRules, run, cli, close: () => { store.close(); fs.rmSync(root, { recursive: true, force: true }); } };
}

/** A rule that copies what lands in inbox/plain to outputs/plain, untouched by approval. */
export const PLAIN_RULE = `- name: plain
  watch: inbox/plain
  output: outputs/plain
  actions:
    - copy: "."
`;

/** A rule whose every job waits for someone to approve it before it publishes. */
export const HELD_RULE = `- name: held
  watch: inbox/held
  output: outputs/held
  approve: always
  actions:
    - copy: "."
`;

/** The rules most approval, user and dashboard tests need: one plain, one held for approval. */
export const PLAIN_AND_HELD = PLAIN_RULE + HELD_RULE;

/**
 * A fresh home for each test of the file, closed after it: call at the top of the file, then
 * `const home = openHome()` inside a test.
 */
export function homePerTest(rulesYaml: string): () => TestHome {
  let home: TestHome | undefined;
  afterEach(() => {
    home?.close();
    home = undefined;
  });
  return () => (home = makeHome(rulesYaml));
}

export function trashed(root: string): string[] {
  const dir = path.join(root, '.local', 'share', 'Trash', 'files');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

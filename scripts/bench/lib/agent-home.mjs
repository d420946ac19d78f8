// A throw-away dropwork home for the agent and program benches: config pointing at the loopback
// Messages server, the key in credentials.env, one rule, and a running Worker over the real
// store (the daemon's pipeline without its watchers, so the figures are the jobs' own).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './daemon.mjs';

const dist = (p) => import(path.join(ROOT, 'dist', p));

export async function agentHome({ label, serverUrl, key, sandbox, rule, pollMs, config: moreConfig }) {
  const { Store } = await dist('queue/store.js');
  const { Worker } = await dist('queue/worker.js');
  const { RuleSet } = await dist('rules/registry.js');
  const { loadConfig } = await dist('config.js');
  const { Events } = await dist('events.js');
  const { silentLogger } = await dist('log.js');
  const { resolvePaths } = await dist('paths.js');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `dropwork-bench-${label}-`));
  process.env.DROPWORK_HOME = home;
  process.env.HOME = home;
  for (const k of Object.keys(process.env)) if (k.startsWith('ANTHROPIC_')) delete process.env[k];
  const paths = resolvePaths();
  fs.mkdirSync(paths.rulesDir, { recursive: true });
  // `config`: more of config.yaml (named providers, for the OpenAI-compatible side).
  fs.writeFileSync(paths.configFile, `provider: {base_url: "${serverUrl}"}\nsandbox: ${sandbox}\nnotify: false\n${moreConfig ?? ''}`);
  fs.writeFileSync(path.join(home, 'credentials.env'), `ANTHROPIC_API_KEY=${key}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(paths.rulesDir, `${label}.yaml`), rule);
  const store = new Store(paths.dbFile);
  const rules = new RuleSet(paths.rulesDir, home);
  rules.reload();
  const config = loadConfig(paths.configFile).config;
  const worker = new Worker({ store, config: () => config, rules: () => rules.rules, paths, events: new Events(), log: silentLogger, pollMs });
  worker.start();
  return { home, paths, store, rules, config, worker };
}

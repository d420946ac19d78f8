/**
 * Which sandbox backend this machine offers for `run_command`. Probing (a Docker engine, the
 * image, a trial bubblewrap sandbox) takes a moment, so the answer is kept for a few minutes
 * and shared by the jobs. A backend named in config that cannot work does not fail jobs that
 * need no commands: they get no run_command, and the history says why.
 */
import { errorMessage } from '../errors.js';
import type { Sandbox, SandboxBackend, SandboxOptions, SandboxSetting } from '../sandbox/sandbox.js';
import type { SandboxHandle } from './tool.js';

export interface SandboxChoice {
  kind: Sandbox['kind'];
  reason: string;
  backend?: SandboxBackend | undefined;
}

const KEEP_MS = 5 * 60_000;
const chosen = new Map<string, { at: number; choice: Promise<SandboxChoice> }>();

/**
 * `owner` is the daemon's data folder: its containers carry it, so that at start-up a daemon
 * removes only the leftovers of its own home, never another's running on the same engine.
 */
export function chooseForJobs(setting: SandboxSetting, owner: string, now = Date.now()): Promise<SandboxChoice> {
  const key = `${setting}\n${owner}`;
  const kept = chosen.get(key);
  if (kept && now - kept.at < KEEP_MS) return kept.choice;
  const choice = (async (): Promise<SandboxChoice> => {
    try {
      const { chooseSandbox } = await import('../sandbox/sandbox.js');
      const { backend, reason } = await chooseSandbox(setting, { owner });
      return { kind: backend.kind, reason, backend };
    } catch (err) {
      return { kind: 'none', reason: errorMessage(err) };
    }
  })();
  chosen.set(key, { at: now, choice });
  return choice;
}

export function handleFor(choice: SandboxChoice, opts: SandboxOptions): SandboxHandle | undefined {
  const backend = choice.backend;
  if (!backend || choice.kind === 'none') return undefined;
  return { kind: choice.kind, reason: choice.reason, open: () => backend.open(opts) };
}

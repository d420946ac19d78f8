import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Paths } from '../paths.js';
import { redact } from '../redact.js';
import { RuleSet } from '../rules/registry.js';
import { fail, type Check, type CheckResult, type DoctorContext } from './check.js';

export interface Finding extends CheckResult {
  id: string;
  title: string;
}

export interface DoctorReport {
  ok: boolean;
  home: string;
  checks: Finding[];
}

/** A check that hangs (a Docker socket that never answers) must not hang the doctor. */
const CHECK_TIMEOUT_MS = 20_000;

export function doctorContext(paths: Paths, env: NodeJS.ProcessEnv = process.env): DoctorContext {
  const loaded = loadConfig(paths.configFile, env);
  const rules = RuleSet.of(paths);
  rules.reload();
  return {
    paths,
    config: loaded.config,
    configErrors: loaded.errors,
    rules,
    env,
    platform: process.platform,
    inotifyLimitFile: '/proc/sys/fs/inotify/max_user_watches',
  };
}

/** Runs every check at once (they wait on different things) and reports them in order. */
export async function runDoctor(checks: Check[], ctx: DoctorContext): Promise<DoctorReport> {
  const findings = await Promise.all(checks.filter((c) => c.applies?.(ctx) ?? true).map(async (check): Promise<Finding> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve(fail(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`, 'run dropwork doctor again; if it hangs again, this is the part to look at')), CHECK_TIMEOUT_MS);
      timer.unref();
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => check.run(ctx)), late]);
      return { id: check.id, title: check.title, ...scrub(result) };
    } catch (err) {
      return { id: check.id, title: check.title, ...fail(`the check itself failed: ${errorMessage(err)}`, 'please report this') };
    } finally {
      clearTimeout(timer);
    }
  }));
  return { ok: findings.every((f) => f.status !== 'fail'), home: ctx.paths.home, checks: findings };
}

/** Nothing a check says may carry a key. */
function scrub(r: CheckResult): CheckResult {
  return { ...r, summary: redact(r.summary), ...(r.fix ? { fix: redact(r.fix) } : {}) };
}

const MARK = { pass: '✓', warn: '!', fail: '✗' } as const;

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = [`dropwork doctor (home: ${report.home})`];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]} ${c.title.padEnd(width)}  ${c.summary}`);
    if (c.fix && c.status !== 'pass') lines.push(`  ${' '.repeat(width)}  → ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  lines.push(failed ? `${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ''}.` : `All good${warned ? ` (${warned} warning(s))` : ''}.`);
  return lines.join('\n') + '\n';
}

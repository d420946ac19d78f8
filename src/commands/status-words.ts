/**
 * What the daemon's parts report for `dropwork status` (each plugin's `status()` facts), said
 * as sentences: a person reads "API key: missing", never `key missing` or `spent_today`. Times
 * in the facts are ISO (the daemon's zone may not be the reader's) and are said locally here.
 * `--json` keeps the facts as they are.
 */
import { ONLY_COLLECTS } from '../doctor/check.js';
import { localizeTimes } from '../human.js';

type Facts = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** Each known part's facts as lines; an unknown part gets its keys in words. */
const SAY: Record<string, (f: Facts) => string[]> = {
  agent: (f) => [
    `the model's API: ${str(f.api)}`,
    `API key: ${f.key === 'missing' ? 'missing: jobs of agent rules wait until one is set (dropwork doctor says where it goes)' : str(f.key)}`,
    ...(f.paused_rules ? [`paused while the API does not answer: ${str(f.paused_rules)}`] : []),
  ],
  sandbox: (f) => [f.reason === ONLY_COLLECTS ? `agent commands: ${ONLY_COLLECTS}` : f.backend === 'none' ? `agent commands run without a sandbox: ${str(f.reason)}` : `agent commands run in: ${str(f.reason).startsWith(str(f.backend)) ? str(f.reason) : `${str(f.backend)} (${str(f.reason)})`}`],
  notify: (f) => [f.on === false ? 'desktop notifications: off' : `desktop notifications: ${str(f.backend)}, ${str(f.sent ?? 0)} sent${f.problem ? `; problem: ${str(f.problem)}` : ''}`],
  schedule: (f) => [`schedules: ${str(f.scheduled)} rule(s)${f.next ? `; next: ${str(f.next)}` : ''}`],
  dashboard: (f) => (f.error ? [`dashboard: did not start: ${str(f.error)}`] : f.url ? [`dashboard: ${str(f.url)} (open it with: dropwork ui)`] : []),
  programs: (f) => (f.compile ? ['learned programs (compile:):', ...str(f.compile).split('; ').map((r) => `  ${r}`)] : []),
};

/** `spent_today` → "spent today". */
export function keyWords(key: string): string {
  return key.replace(/_/g, ' ');
}

export function pluginLines(plugins: Record<string, Facts>): string[] {
  const out: string[] = [];
  for (const [name, facts] of Object.entries(plugins)) {
    if (Object.keys(facts).length === 0) continue;
    const say = SAY[name];
    const lines = say ? say(facts) : [`${keyWords(name)}: ${Object.entries(facts).map(([k, v]) => `${keyWords(k)} ${str(v)}`).join(', ')}`];
    out.push(...lines.map((l) => localizeTimes(l)));
  }
  return out;
}

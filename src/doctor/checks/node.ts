import { requiredNode } from '../../version.js';
import { fail, pass, warn, type Check, type CheckResult } from '../check.js';

/**
 * When a Node major stops getting security fixes. Even majors are LTS until April 30 of
 * 2016 + major/2 (22 → 2027, 24 → 2028); odd majors are never LTS and end on June 1 of the
 * year after their release (23 → 2025, 25 → 2026). Node's own schedule, as a formula so a
 * future major needs no edit here.
 */
export function endOfLife(major: number): Date {
  return major % 2 === 0 ? new Date(Date.UTC(2016 + major / 2, 3, 30)) : new Date(Date.UTC(2013 + (major + 1) / 2, 5, 1));
}

/** The verdict on a Node version; `today` and `execPath` are parameters so tests can pick them. */
export function judgeNode(version: string, execPath: string, today: Date = new Date()): CheckResult {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const [needMajor, needMinor] = requiredNode();
  const summary = `${version} at ${execPath}`;
  const reinstall = 'then reinstall dropwork with it (npm ci in a checkout, npm i -g dropwork otherwise)';
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    return fail(`${summary}; dropwork needs ${needMajor}.${needMinor} or newer`, `install Node.js 22 or 24 LTS (your package manager, or nodejs.org), ${reinstall}`);
  }
  if (major % 2 === 1) {
    return warn(`${summary}: an odd major, never a long-term support release${endOfLife(major) <= today ? ', and already out of support' : ''}`, `use an LTS Node (22 or 24), ${reinstall}`);
  }
  const eol = endOfLife(major);
  if (eol <= today) return warn(`${summary}: Node ${major} is out of support since ${eol.toISOString().slice(0, 10)}`, `move to a current LTS Node, ${reinstall}`);
  return pass(summary);
}

export const nodeCheck: Check = {
  id: 'node',
  title: 'Node.js',
  run: () => judgeNode(process.versions.node, process.execPath),
};

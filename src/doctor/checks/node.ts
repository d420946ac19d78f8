import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../commands/shared.js';
import { fail, pass, type Check } from '../check.js';

/** `engines.node` of package.json, e.g. ">=20.19": the oldest Node dropwork is tested on. */
function required(): [number, number] {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
    const m = pkg.engines?.node?.match(/(\d+)\.(\d+)/);
    if (m) return [Number(m[1]), Number(m[2])];
  } catch {
    /* fall through */
  }
  return [20, 19];
}

export const nodeCheck: Check = {
  id: 'node',
  title: 'Node.js',
  run() {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const [needMajor, needMinor] = required();
    const ok = major > needMajor || (major === needMajor && minor >= needMinor);
    const summary = `${process.versions.node} at ${process.execPath}`;
    return ok ? pass(summary) : fail(`${summary}; dropwork needs ${needMajor}.${needMinor} or newer`, `install Node.js ${needMajor}.${needMinor} or newer (your package manager, or nodejs.org), then reinstall dropwork with it`);
  },
};

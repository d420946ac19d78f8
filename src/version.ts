import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the repository, or the installed package): dist/.. or src/.. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface PackageJson {
  version: string;
  engines?: { node?: string };
}

let cached: PackageJson | undefined;

/** package.json is the one place the version and the supported Node live. */
function packageJson(): PackageJson {
  cached ??= JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  return cached;
}

export function dropworkVersion(): string {
  return packageJson().version;
}

/** `engines.node` (">=22.22") as [major, minor]: the oldest Node dropwork runs on. */
export function requiredNode(): [number, number] {
  const m = packageJson().engines?.node?.match(/(\d+)\.(\d+)/);
  if (!m) throw new Error('package.json has no engines.node of the form ">=MAJOR.MINOR"');
  return [Number(m[1]), Number(m[2])];
}

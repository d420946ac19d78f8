import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests that spawn the real `dropwork` command need the compiled CLI: build it once.
 * DROPWORK_TEST_NO_BUILD=1 skips this when dist/ is already fresh (a quick edit-test loop).
 */
export default function setup(): void {
  if (process.env.DROPWORK_TEST_NO_BUILD === '1') return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}

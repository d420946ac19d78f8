/**
 * What a sandbox leaves in output/ is published only as regular files: links it planted
 * (to a host file, to a folder outside, climbing out with ..) are reported, never followed,
 * and never change a host file's owner.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BubblewrapBackend, probeBubblewrap } from '../../src/sandbox/bubblewrap.js';
import { DockerBackend } from '../../src/sandbox/docker.js';
import { isSafeOutputEntry, listOutputFiles } from '../../src/sandbox/output.js';
import type { SandboxBackend } from '../../src/sandbox/sandbox.js';
import { hostSecret, makeWorkspace, newJobId, newOwner, requireDocker, requireImage, testLimits } from './helpers.js';

const backends: SandboxBackend[] = [];
let secret: Awaited<ReturnType<typeof hostSecret>>;

beforeAll(async () => {
  const docker = await requireDocker();
  backends.push(new DockerBackend(docker, await requireImage(docker), newOwner()));
  const probe = await probeBubblewrap();
  if (!probe.ok) throw new Error(`bwrap is needed (scripts/setup/bubblewrap.sh): ${probe.why}`);
  backends.push(new BubblewrapBackend(probe.features));
  secret = await hostSecret();
});
afterAll(() => secret.remove());

describe.each(['docker', 'bubblewrap'] as const)('%s: links planted in output/', (kind) => {
  test('are listed as skipped, never as files to publish', async () => {
    const backend = backends.find((b) => b.kind === kind);
    if (!backend) throw new Error(`no ${kind} backend`);
    const ws = await makeWorkspace();
    const sandbox = await backend.open({ jobId: newJobId('links'), workspace: ws, network: false, limits: testLimits });
    try {
      const r = await sandbox.run([
        'echo report > output/report.txt',
        'mkdir -p output/sub && echo inner > output/sub/inner.txt',
        `ln -s ${secret.file} output/leak.yaml`,
        'ln -s / output/rootdir',
        'ln -s ../../../../../../etc output/sub/up',
        'ln -s report.txt output/alias.txt',
        'mkfifo output/pipe',
        'ln input/hello.txt output/hard.txt 2>&1 || echo no-hardlink',
      ].join(' && '));
      expect(r.stdout).toContain('no-hardlink'); // a hard link across the mounts is refused
      // A second command: as root the daemon hands output/ over again, through no link.
      expect((await sandbox.run('true')).exitCode).toBe(0);
      await sandbox.close();

      const listing = await listOutputFiles(ws.output);
      expect(listing.files).toEqual(['report.txt', 'sub/inner.txt']);
      expect(listing.skipped.map((s) => s.path).sort()).toEqual(['alias.txt', 'leak.yaml', 'pipe', 'rootdir', 'sub/up']);
      expect(listing.skipped.find((s) => s.path === 'leak.yaml')?.reason).toBe(`symbolic link to ${secret.file}: not followed`);

      expect(await isSafeOutputEntry(ws.output, 'report.txt')).toBe(true);
      expect(await isSafeOutputEntry(ws.output, 'sub/inner.txt')).toBe(true);
      for (const bad of ['leak.yaml', 'rootdir/etc/passwd', 'sub/up/passwd', 'alias.txt', 'pipe', 'sub', '../input/hello.txt', '/etc/passwd', 'nope.txt']) {
        expect(await isSafeOutputEntry(ws.output, bad), bad).toBe(false);
      }
      const st = await fs.stat(secret.file);
      expect(st.uid).toBe(process.getuid?.() ?? st.uid); // the link's target kept its owner
    } finally {
      await sandbox.close();
      await ws.remove();
    }
  });
});

describe('listOutputFiles on an empty or nested output', () => {
  test('lists nested files with / separators, sorted', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dropwork-out-'));
    try {
      await fs.mkdir(path.join(dir, 'b', 'c'), { recursive: true });
      await fs.writeFile(path.join(dir, 'b', 'c', 'z.txt'), 'z');
      await fs.writeFile(path.join(dir, 'a.txt'), 'a');
      expect(await listOutputFiles(dir)).toEqual({ files: ['a.txt', 'b/c/z.txt'], skipped: [] });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

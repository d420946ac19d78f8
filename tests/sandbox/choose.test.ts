/**
 * Which backend a `sandbox:` setting gets on this machine (Docker engine, image and bwrap
 * all present), and what happens when the named one cannot work.
 */
import { describe, expect, test } from 'vitest';
import { SandboxError, UnrecoverableError } from '../../src/errors.js';
import { buildSandboxImage } from '../../src/sandbox/build.js';
import { SANDBOX_IMAGE, SANDBOX_IMAGE_VERSION, imageStatus } from '../../src/sandbox/image.js';
import { chooseSandbox } from '../../src/sandbox/sandbox.js';
import { makeWorkspace, requireDocker, testLimits } from './helpers.js';

const MISSING = 'dropwork-sandbox:no-such-tag';

describe('chooseSandbox', () => {
  test('auto takes docker when the engine answers and the image exists', async () => {
    const { backend, reason } = await chooseSandbox('auto');
    expect(backend.kind).toBe('docker');
    expect(reason).toMatch(/^docker, image dropwork-sandbox:latest \([0-9a-f]{12}\)$/);
  });

  test('auto falls back to bubblewrap when the image is missing, and says how to build it', async () => {
    const { backend, reason } = await chooseSandbox('auto', { image: MISSING });
    expect(backend.kind).toBe('bubblewrap');
    expect(reason).toContain(`the sandbox image ${MISSING} is missing: run \`dropwork sandbox build\``);
  });

  test('auto on a platform without bubblewrap and without the image runs no commands', async () => {
    const { backend, reason } = await chooseSandbox('auto', { image: MISSING, platform: 'darwin' });
    expect(backend.kind).toBe('none');
    expect(reason).toMatch(/bubblewrap needs Linux; so none: agents cannot run commands$/);
  });

  test('docker without its image is an unrecoverable error naming the fix, not a quiet fallback', async () => {
    const err = await chooseSandbox('docker', { image: MISSING }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(String(err)).toMatch(/dropwork sandbox build/);
  });

  test('an image of another version counts as outdated, with the same advice', async () => {
    const docker = await requireDocker();
    const container = await docker.createContainer({ Image: SANDBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    const name = 'dropwork-sandbox:outdated-test';
    try {
      await container.commit({ repo: 'dropwork-sandbox', tag: 'outdated-test', changes: 'LABEL dropwork.sandbox=0' });
      const status = await imageStatus(docker, name);
      expect(status).toMatchObject({ state: 'outdated', name });
      expect(status.state !== 'present' && status.message).toContain(`is version 0, this dropwork needs version ${SANDBOX_IMAGE_VERSION}: run \`dropwork sandbox build\``);
      await expect(chooseSandbox('docker', { image: name })).rejects.toThrow(/version 0/);
    } finally {
      await container.remove({ force: true });
      await docker.getImage(name).remove().catch(() => undefined);
    }
  });

  test('bubblewrap and none can be chosen by name', async () => {
    expect((await chooseSandbox('bubblewrap')).backend.kind).toBe('bubblewrap');
    const { backend } = await chooseSandbox('none');
    expect(backend.kind).toBe('none');
  });

  test('none never runs a command', async () => {
    const ws = await makeWorkspace();
    try {
      const sandbox = await (await chooseSandbox('none')).backend.open({ jobId: 'none', workspace: ws, network: false, limits: testLimits });
      await expect(sandbox.run('touch output/ran')).rejects.toBeInstanceOf(SandboxError);
      await sandbox.close();
    } finally {
      await ws.remove();
    }
  });

  test('sandbox build does nothing when the image is already there', async () => {
    const docker = await requireDocker();
    const lines: string[] = [];
    const image = await buildSandboxImage(docker, { offline: true, onLine: (l) => lines.push(l) });
    expect(image.id).toMatch(/^sha256:/);
    expect(lines.join('\n')).toContain('already built');
  });
});

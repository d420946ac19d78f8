/** The daemon's side of the sandbox: start-up clean-up of its own leftovers, status, the build command. */
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon.js';
import '../../src/sandbox/index.js';
import { OWNER_LABEL, ownerId } from '../../src/sandbox/container.js';
import { SANDBOX_IMAGE } from '../../src/sandbox/image.js';
import { cli, makeHome, type TestHome } from '../support/home.js';
import { requireDocker, requireImage } from './helpers.js';

let docker: Docker;
let home: TestHome;
let daemon: Daemon | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  await requireImage(docker);
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  home.cleanup();
});

describe('the sandbox in the daemon', () => {
  it('removes the containers a killed daemon of this home left, and says where commands run', async () => {
    home = makeHome({ config: 'settle_ms: 100\nsandbox: auto\n' });
    const leftover = await docker.createContainer({ Image: SANDBOX_IMAGE, Cmd: ['sleep', '300'], Labels: { 'dropwork.job': '41', [OWNER_LABEL]: ownerId(home.paths.dataDir) }, HostConfig: { NetworkMode: 'none' } });
    await leftover.start();
    daemon = new Daemon({ paths: home.paths });
    await daemon.start();
    await expect(leftover.inspect()).rejects.toThrow(/no such container/i);
    daemon.heartbeat();
    const state = daemon.store.getState<{ plugins: Record<string, { backend?: string; reason?: string }> }>('daemon');
    expect(state?.plugins.sandbox).toMatchObject({ backend: 'docker', reason: expect.stringMatching(/^docker, image dropwork-sandbox:latest/) });
  });

  it('`dropwork sandbox build` reports an image that is already built', async () => {
    home = makeHome();
    const r = await cli(home, ['sandbox', 'build']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dropwork-sandbox:latest is already built/);
    expect(r.stdout).toMatch(/sandbox image dropwork-sandbox:latest ready/);
  });
});

/**
 * `dropwork sandbox build [--offline] [--force]`: make the sandbox image. Online it is a
 * plain `docker build` of sandbox/Dockerfile (pulls debian:bookworm-slim); offline it runs
 * sandbox/build-offline.sh, which needs root but no image registry.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { SandboxError, errorMessage } from '../errors.js';
import { SANDBOX_IMAGE, imageStatus, type ImageStatus } from './image.js';

/** The package's sandbox/ folder: the nearest one up from this file (src/sandbox, dist/sandbox, or a test build). */
export const SANDBOX_DIR = findUp(path.dirname(fileURLToPath(import.meta.url)));

function findUp(dir: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'sandbox', 'Dockerfile'))) return path.join(at, 'sandbox');
    if (path.dirname(at) === at) return path.resolve(dir, '..', '..', 'sandbox');
  }
}

export interface BuildOptions {
  offline?: boolean;
  /** Rebuild even when an image of the right version exists. */
  force?: boolean;
  image?: string;
  /** Progress lines, for the CLI to print. */
  onLine?: (line: string) => void;
}

export async function buildSandboxImage(docker: Docker, opts: BuildOptions = {}): Promise<Extract<ImageStatus, { state: 'present' }>> {
  const image = opts.image ?? SANDBOX_IMAGE;
  const say = opts.onLine ?? (() => {});
  const before = await imageStatus(docker, image);
  if (before.state === 'present' && !opts.force) {
    say(`${image} is already built (${before.id})`);
    return before;
  }
  if (opts.offline) await runOffline(image, opts.force ?? false, say);
  else await dockerBuild(docker, image, say);
  const after = await imageStatus(docker, image);
  if (after.state !== 'present') throw new SandboxError(`the build finished but ${after.message}`);
  return after;
}

async function dockerBuild(docker: Docker, image: string, say: (line: string) => void): Promise<void> {
  const stream = await docker.buildImage({ context: SANDBOX_DIR, src: ['Dockerfile'] }, { t: image, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = err ?? output.find((o) => o.error);
      if (!failed) return resolve();
      const detail = failed instanceof Error ? failed.message : failed.error;
      reject(new SandboxError(`docker build of ${image} failed: ${detail} (where no base image can be pulled: dropwork sandbox build --offline)`));
    }, (event: { stream?: string; status?: string }) => {
      const line = (event.stream ?? event.status ?? '').trimEnd();
      if (line) say(line);
    });
  });
}

function runOffline(image: string, force: boolean, say: (line: string) => void): Promise<void> {
  const args = [path.join(SANDBOX_DIR, 'build-offline.sh'), '--image', image, ...(force ? ['--force'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (c: Buffer): void => {
      const text = c.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) say(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new SandboxError(`could not run build-offline.sh: ${errorMessage(err)}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new SandboxError(`build-offline.sh failed (exit ${code}): ${tail.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

/**
 * How a job's container is made and unmade: the engine connection, the locked-down host
 * config, forced removal, and reading the container's cgroup counters.
 */
import { createHash } from 'node:crypto';
import Docker from 'dockerode';
import { SandboxError, errorMessage } from '../errors.js';
import { SOCKET_DIR_INSIDE } from './egress/forwarder.js';
import { statusCode } from './image.js';
import type { SandboxLimits } from './limits.js';

export const JOB_LABEL = 'dropwork.job';
/**
 * Which dropwork the container belongs to (a hash of its data folder): a daemon cleans up
 * after itself only, never after another dropwork (or test run) on the same engine.
 */
export const OWNER_LABEL = 'dropwork.owner';

export function ownerId(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 16);
}
export const WORKDIR = '/workspace';

/** The engine at DOCKER_HOST or the default socket, once it has answered a ping. */
export async function connectDocker(timeoutMs = 3000): Promise<Docker> {
  const docker = new Docker();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs); });
  try {
    await Promise.race([docker.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return docker;
}

/**
 * Force-removes a container, trying again while the engine refuses: a container whose
 * processes are busy writing (the disk filler) can take a moment to die, and one left
 * behind would hold the job's processes.
 */
export async function removeHard(container: Docker.Container): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await container.remove({ force: true });
      return;
    } catch (err) {
      if (statusCode(err) === 404) return;
      if (attempt >= 20) throw new SandboxError(`could not remove the sandbox container ${container.id.slice(0, 12)}: ${errorMessage(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** `egressDir`: the job's proxy socket folder (an allowlist), mounted read-only; the container has no network then. */
export function hostConfig(input: string, output: string, network: boolean, limits: SandboxLimits, egressDir?: string): Docker.HostConfig {
  return {
    NetworkMode: network && !egressDir ? 'bridge' : 'none',
    ReadonlyRootfs: true,
    // exec: Docker's default for a tmpfs is noexec, which output/ (a bind) does not have anyway.
    Tmpfs: { '/tmp': `rw,exec,nosuid,nodev,size=${limits.tmpBytes},mode=1777` },
    Mounts: [
      { Type: 'bind', Source: input, Target: `${WORKDIR}/input`, ReadOnly: true },
      { Type: 'bind', Source: output, Target: `${WORKDIR}/output`, ReadOnly: false },
      ...(egressDir ? [{ Type: 'bind' as const, Source: egressDir, Target: SOCKET_DIR_INSIDE, ReadOnly: true }] : []),
    ],
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Memory: limits.memoryBytes,
    MemorySwap: limits.memoryBytes, // the same figure: no swap on top
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    // No single file past the cap, even between two measurements of output/.
    Ulimits: [
      { Name: 'fsize', Soft: limits.writeCapBytes + 1, Hard: limits.writeCapBytes + 1 },
      { Name: 'nofile', Soft: 1024, Hard: 1024 },
      { Name: 'core', Soft: 0, Hard: 0 },
    ],
    // No docker-init: the runner is PID 1 and reaps orphans itself. An init of the same uid as
    // the commands would hold the daemon's stream at /proc/1/fd/1, open to forged frames.
    Init: false,
    IpcMode: 'private',
  };
}

/** `oom_kill N` from memory.oom_control (v1) or memory.events (v2); `max N` from pids.events. */
export function parseCgroupCounters(files: Record<string, string>): { oomKills: number; pidsMax: number } {
  const counters = { oomKills: 0, pidsMax: 0 };
  for (const [file, text] of Object.entries(files)) {
    for (const line of String(text).split('\n')) {
      const [key, value] = line.split(' ');
      const n = Number(value) || 0;
      if (key === 'oom_kill' && file.includes('memory')) counters.oomKills = n;
      if (key === 'max' && file.includes('pids')) counters.pidsMax = n;
    }
  }
  return counters;
}

/**
 * The Docker backend: one locked-down container per job, created on the job's first
 * command, reused for the next ones (through its runner, see runner.ts), removed when the
 * job ends.
 */
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { SandboxError, errorMessage } from '../errors.js';
import { JOB_LABEL, OWNER_LABEL, WORKDIR, hostConfig, ownerId, parseCgroupCounters, removeHard } from './container.js';
import { SANDBOX_ENV, sandboxUser, type ImageStatus } from './image.js';
import { PROXY_ENV, forwardedCommand } from './egress/forwarder.js';
import { JobEgress } from './egress/job.js';
import { formatBytes } from './limits.js';
import { handOver } from './output.js';
import { onlyRunnerLeft } from './quiet.js';
import { Runner } from './runner.js';
import { NO_FORK_WORDS, NO_MEMORY_WORDS, supervise } from './supervise.js';
import { CommandQueue } from './queue.js';
import type { CommandResult, RunOptions, Sandbox, SandboxBackend, SandboxOptions } from './sandbox.js';

export class DockerBackend implements SandboxBackend {
  readonly kind = 'docker';
  private readonly owner: string;

  /** `owner`: the daemon's data folder (see removeLeftoverContainers). */
  constructor(readonly docker: Docker, readonly image: Extract<ImageStatus, { state: 'present' }>, owner = 'dropwork') {
    this.owner = ownerId(owner);
  }

  async open(opts: SandboxOptions): Promise<Sandbox> {
    return new DockerSandbox(this.docker, this.image.id, this.owner, opts);
  }
}

/** A job's container and the runner inside it. */
interface Job { container: Docker.Container; runner: Runner; runnerPid: number }

class DockerSandbox implements Sandbox {
  readonly kind = 'docker';
  private container: Job | undefined;
  private creating: Promise<Job> | undefined;
  private readonly queue = new CommandQueue();
  private closed = false;
  private readonly removals = new Set<Promise<void>>();
  /** cgroup counters last seen, so a new OOM kill can be told from an old one. */
  private seen = { oomKills: 0, pidsMax: 0 };
  private readonly openedAt = performance.now();
  private readonly user = sandboxUser();
  /** The job's egress proxy, when its rule has an allowlist; one for all its containers. */
  private egress: Promise<JobEgress> | undefined;

  constructor(private readonly docker: Docker, readonly imageId: string, private readonly owner: string, private readonly opts: SandboxOptions) {}

  run(command: string, runOpts?: RunOptions): Promise<CommandResult> {
    return this.queue.add(() => this.runNow(command, runOpts));
  }

  private async runNow(command: string, runOpts?: RunOptions): Promise<CommandResult> {
    if (this.closed) throw new SandboxError('the sandbox of this job is closed');
    const { limits, workspace } = this.opts;
    if (process.getuid?.() === 0) await handOver(workspace.output, this.user.uid, this.user.gid);
    const egress = await this.openEgress();
    const result = await supervise({
      limits,
      writable: [workspace.output],
      openedAt: this.openedAt,
      start: async (timeoutMs, stdout, stderr) => {
        const job = await this.ensureContainer();
        const done = job.runner.run(egress ? forwardedCommand(command) : command, timeoutMs, (kind, chunk) => (kind === 'o' ? stdout : stderr).write(chunk)).then(async (r) => {
          // The daemon works in output/ next: confirmed from the host that nothing of the command runs on.
          if (await onlyRunnerLeft(job.container, job.runnerPid)) return r;
          await this.discardContainer();
          stderr.write(Buffer.from('\n[processes of this command outlived it; the sandbox container was removed and the next command starts a fresh one, /tmp emptied]\n'));
          return { exitCode: null, timedOut: false };
        }, async () => {
          // The container went: a kill from here (timeout, write cap), or the command killed the
          // runner itself (kill -9 -1), or broke its protocol. Whatever is left of it goes now.
          await this.discardContainer();
          stderr.write(Buffer.from('\n[the sandbox container stopped during this command; the next command starts a fresh one, /tmp emptied]\n'));
          return { exitCode: null, timedOut: false };
        });
        return { done };
      },
      kill: () => this.discardContainer(),
      explain: (exitCode, stderr, timedOut) => this.explain(exitCode, stderr, timedOut),
    }, runOpts);
    const blocked = egress?.takeBlocked() ?? [];
    return blocked.length ? { ...result, network: blocked } : result;
  }

  private openEgress(): Promise<JobEgress | undefined> {
    const { network, onConnection } = this.opts;
    if (typeof network !== 'object') return Promise.resolve(undefined);
    this.egress ??= JobEgress.open({ allow: network.allow, onConnection, owner: this.user });
    return this.egress;
  }

  private async ensureContainer(): Promise<Job> {
    if (this.container?.runner.alive) return this.container;
    if (this.container) await this.discardContainer();
    this.creating ??= this.createContainer().then(
      (c) => { this.container = c; this.creating = undefined; return c; },
      (err: unknown) => { this.creating = undefined; throw new SandboxError(`could not start the sandbox container: ${errorMessage(err)}`); },
    );
    return this.creating;
  }

  private async createContainer(): Promise<Job> {
    const { jobId, workspace, network, limits } = this.opts;
    if (process.getuid?.() === 0) await handOver(workspace.input, this.user.uid, this.user.gid);
    const egress = await this.openEgress();
    const container = await this.docker.createContainer({
      name: `dropwork-${jobId.replace(/[^a-zA-Z0-9_.-]/g, '_')}-${Date.now().toString(36)}`,
      Image: this.imageId, // by id: a rebuild during the job does not change what it runs in
      // The runner outlives the job's wall clock only a little, and ends when the daemon's
      // connection does: a container a crashed daemon left behind stops by itself, and the
      // next start removes it.
      Cmd: Runner.command(Math.ceil(limits.jobWallMs / 1000) + 60, egress ? [...SANDBOX_ENV, ...PROXY_ENV] : SANDBOX_ENV),
      OpenStdin: true,
      StdinOnce: true,
      Labels: { [JOB_LABEL]: jobId, [OWNER_LABEL]: this.owner },
      User: `${this.user.uid}:${this.user.gid}`,
      WorkingDir: WORKDIR,
      Env: SANDBOX_ENV,
      HostConfig: hostConfig(workspace.input, workspace.output, network === true, limits, egress?.dir),
    });
    try {
      const runner = await Runner.start(this.docker, container);
      const runnerPid = (await container.inspect()).State.Pid;
      this.seen = { oomKills: 0, pidsMax: 0 };
      return { container, runner, runnerPid };
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Kills every process of the job at once; the next command gets a fresh container. */
  private discardContainer(): Promise<void> {
    const removal = (async () => {
      const container = this.container ?? (await this.creating?.catch(() => undefined));
      this.container = undefined;
      if (container) await removeHard(container.container);
    })();
    this.removals.add(removal);
    return removal.finally(() => this.removals.delete(removal));
  }

  /** Reads the container's own cgroup counters: did the kernel kill for memory, or refuse a fork? */
  private async explain(exitCode: number | null, stderr: string, timedOut: boolean): Promise<string | undefined> {
    const suspicious = timedOut || exitCode === null || exitCode >= 128 || NO_FORK_WORDS.test(stderr) || NO_MEMORY_WORDS.test(stderr);
    const job = this.container;
    if (!job?.runner.alive || !suspicious) return undefined;
    const counters = parseCgroupCounters(await job.runner.cgroupFiles());
    const { limits } = this.opts;
    const reasons: string[] = [];
    if (counters.oomKills > this.seen.oomKills) reasons.push(`out of memory (limit ${formatBytes(limits.memoryBytes)})`);
    if (counters.pidsMax > this.seen.pidsMax) reasons.push(`process limit of ${limits.pids} reached`);
    this.seen = counters;
    return reasons.join('; ') || undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.discardContainer();
    await Promise.all(this.removals); // a removal still under way from a timeout or the write cap
    await this.egress?.then((e) => e.close(), () => undefined);
  }
}

/**
 * Where an agent's `run_command` runs. Never on the host: a per-job Docker
 * container, else a bubblewrap sandbox, else nowhere (`none`: the tool is not
 * offered to the model at all).
 */
import { UnrecoverableError, errorMessage } from '../errors.js';
import type { NetworkSetting } from './egress/allowlist.js';
import type { ConnectionRecord } from './egress/proxy.js';
import type { SandboxLimits } from './limits.js';

export type SandboxKind = 'docker' | 'bubblewrap' | 'none';
export type SandboxSetting = 'auto' | SandboxKind;

/** A job's folders on the host. `root` holds `input/` and `output/`. */
export interface Workspace {
  root: string;
  /** Mounted read-only at /workspace/input. */
  input: string;
  /** The output staging folder, mounted read-write at /workspace/output. */
  output: string;
}

export interface SandboxOptions {
  jobId: string;
  workspace: Workspace;
  /**
   * A rule's `sandbox: {network: ...}`: false (none, the default), true (everything), or
   * `{allow: [...]}`: no network of its own, only the job's egress proxy (egress/).
   */
  network: NetworkSetting;
  /** Each connection through the egress proxy, as it ends (the job's history). */
  onConnection?: ((record: ConnectionRecord) => void) | undefined;
  limits: SandboxLimits;
}

export interface RunOptions {
  /** The tool call's `timeout_s` in ms; clamped to the rule's maximum and the job's wall clock. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CommandResult {
  /** null when the command was stopped from outside (timeout, cap, cancel). */
  exitCode: number | null;
  /** Head and tail when longer than the limit, with a line saying how much was left out. */
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
  /**
   * Set when the command broke one of the job's limits ("out of memory (limit 1.00 GiB)",
   * "write cap exceeded ...", "command timed out after 120 s"). The job must then fail with
   * this reason, without retries: running it again would break the same limit.
   */
  failure?: string;
  /**
   * Set when `failure` ends the job: its write cap, its commands' wall clock, memory or process
   * limits (a hog, a fork bomb), a cancel. A command's own timeout alone does not: the model is
   * told, and can give the command longer (up to the rule's maximum) or do it another way.
   */
  jobLimit?: boolean;
  /** Connections the egress proxy refused during the command, one line each, with the reason. */
  network?: string[];
}

export interface Sandbox {
  readonly kind: SandboxKind;
  /** The image the job's commands ran in (docker), for the job's history. */
  readonly imageId?: string;
  /** `sh -c command` in /workspace. Calls are run one at a time, in order. */
  run(command: string, opts?: RunOptions): Promise<CommandResult>;
  /** Stops whatever still runs and removes the container. Idempotent; call it however the job ends. */
  close(): Promise<void>;
}

export interface SandboxBackend {
  readonly kind: SandboxKind;
  open(opts: SandboxOptions): Promise<Sandbox>;
}

export interface ChooseOptions {
  /** The daemon's data folder: labels its containers, so start-up cleans up its own only. */
  owner?: string;
  /** Another image name than SANDBOX_IMAGE (tests). */
  image?: string;
  platform?: NodeJS.Platform;
}

/**
 * The backend for config's `sandbox:` setting, and a sentence saying why (for
 * `dropwork status` and the log). `auto` takes the first that works: docker when the
 * engine answers and the image exists, bubblewrap on Linux when `bwrap` can make a
 * sandbox, else none. Naming a backend that cannot work is an UnrecoverableError that
 * says how to fix it, never a silent fallback to something weaker.
 */
export async function chooseSandbox(setting: SandboxSetting, opts: ChooseOptions = {}): Promise<{ backend: SandboxBackend; reason: string }> {
  // Imported here so `none` (and a machine without dockerode's native bits) costs nothing.
  const { NoSandboxBackend } = await import('./none.js');
  if (setting === 'none') return { backend: new NoSandboxBackend(), reason: 'sandbox: none in config: agents cannot run commands' };

  const why: string[] = [];
  if (setting === 'auto' || setting === 'docker') {
    const { connectDocker } = await import('./container.js');
    const { imageStatus } = await import('./image.js');
    try {
      const docker = await connectDocker();
      const image = await imageStatus(docker, opts.image);
      if (image.state === 'present') {
        const { DockerBackend } = await import('./docker.js');
        return { backend: new DockerBackend(docker, image, opts.owner), reason: `docker, image ${image.name} (${image.id.slice(7, 19)})` };
      }
      why.push(image.message);
    } catch (err) {
      why.push(`no Docker engine answers (${errorMessage(err)})`);
    }
    if (setting === 'docker') throw new UnrecoverableError(`sandbox: docker cannot be used: ${why.join('; ')}`);
  }

  if (setting === 'auto' || setting === 'bubblewrap') {
    const { probeBubblewrap, BubblewrapBackend } = await import('./bubblewrap.js');
    const probe = (opts.platform ?? process.platform) === 'linux' ? await probeBubblewrap() : { ok: false as const, why: 'bubblewrap needs Linux' };
    if (probe.ok) return { backend: new BubblewrapBackend(probe.features), reason: [...why, 'bubblewrap'].join('; so ') };
    why.push(probe.why);
    if (setting === 'bubblewrap') throw new UnrecoverableError(`sandbox: bubblewrap cannot be used: ${probe.why}`);
  }

  return { backend: new NoSandboxBackend(), reason: [...why, 'none: agents cannot run commands'].join('; so ') };
}

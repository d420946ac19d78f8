/**
 * A connector given as a container image (`image:`): the MCP server runs in a Docker container
 * locked down like a job's sandbox (read-only root, every capability dropped, no new
 * privileges, the sandbox's memory and process limits, the sandbox's uid) and speaks MCP on
 * the container's stdin/stdout, attached through dockerode. Nothing of the host is mounted:
 * its scratch folder is a tmpfs (/tmp, also HOME and the working folder). Its network is
 * Docker's `none`; with a `network: {allow}` the folder of its own egress proxy's socket is
 * mounted as for the sandbox, and its command runs under the same forwarder (so the image
 * needs python3 then). The secrets it names are in that container's environment only.
 * Closing the transport force-removes the container.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import { JOB_LABEL, OWNER_LABEL, connectDocker, ownerId, removeHard } from '../sandbox/container.js';
import { PROXY_ENV, SOCKET_DIR_INSIDE, forwardedArgv } from '../sandbox/egress/forwarder.js';
import { sandboxUser } from '../sandbox/image.js';
import { defaultLimits } from '../sandbox/limits.js';

export const CONNECTOR_LABEL = 'dropwork.connector';
const SCRATCH = '/tmp';

export interface ContainerOptions {
  name: string;
  image: string;
  /** Replace the image's command (its entrypoint stays). */
  args: string[];
  secrets: Record<string, string>;
  /** The folder of its egress proxy's socket, when it has a network allowlist. */
  egressDir?: string | undefined;
  job?: JobOwner | undefined;
}

/** A job's container carries its daemon's owner label and its job's, as a sandbox's does. */
export interface JobOwner {
  /** The daemon's data folder. */
  dataDir: string;
  jobId: string;
}

/** Docker answering, or why not: a connector given as an image cannot run without it. */
export async function dockerForConnectors(): Promise<Docker> {
  try {
    return await connectDocker();
  } catch (err) {
    throw new Error(`Docker is not available (${errorMessage(err)}): connectors given as an image run in a container`);
  }
}

function split(argv: string[]): { Entrypoint: string[]; Cmd: string[] } {
  return { Entrypoint: argv.slice(0, 1), Cmd: argv.slice(1) };
}

export class ContainerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** What the server writes on its stderr (its last words, when it stops). */
  readonly stderr = new PassThrough();
  private container: Docker.Container | undefined;
  private stdin: NodeJS.ReadWriteStream | undefined;
  private readonly buffer = new ReadBuffer();
  private closed = false;

  constructor(private readonly docker: Docker, private readonly opts: ContainerOptions) {}

  async start(): Promise<void> {
    const { image, args, secrets, egressDir, name } = this.opts;
    const info = await this.docker.getImage(image).inspect().catch((err: unknown) => {
      throw new Error(`the image ${image} is not on this computer's Docker (${errorMessage(err)}); pull or build it first`);
    });
    const entrypoint = info.Config.Entrypoint ?? [];
    const argv = [...(Array.isArray(entrypoint) ? entrypoint : [entrypoint]), ...(args.length ? args : info.Config.Cmd ?? [])];
    if (argv.length === 0) throw new Error(`the image ${image} names no command and the connector gives no args`);
    const user = sandboxUser();
    const limits = defaultLimits;
    const env = [`HOME=${SCRATCH}`, `TMPDIR=${SCRATCH}`, 'LANG=C.UTF-8', ...Object.entries(secrets).map(([k, v]) => `${k}=${v}`), ...(egressDir ? [...PROXY_ENV, 'NODE_USE_ENV_PROXY=1'] : [])];
    this.container = await this.docker.createContainer({
      Image: info.Id,
      // The whole command line is ours; with an allowlist the forwarder runs it.
      ...split(egressDir ? forwardedArgv(argv) : argv),
      Env: env,
      User: `${user.uid}:${user.gid}`,
      WorkingDir: SCRATCH,
      OpenStdin: true,
      StdinOnce: false,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      // With the job's and daemon's labels, a daemon's start-up sweep (removeLeftoverContainers)
      // removes what a crash left of it, as it does sandbox containers.
      Labels: { [CONNECTOR_LABEL]: name, ...(this.opts.job ? { [OWNER_LABEL]: ownerId(this.opts.job.dataDir), [JOB_LABEL]: this.opts.job.jobId } : {}) },
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        Tmpfs: { [SCRATCH]: `rw,exec,nosuid,nodev,size=${limits.tmpBytes},mode=1777` },
        Mounts: egressDir ? [{ Type: 'bind', Source: egressDir, Target: SOCKET_DIR_INSIDE, ReadOnly: true }] : [],
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        NanoCpus: Math.round(limits.cpus * 1e9),
        PidsLimit: limits.pids,
        Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
        IpcMode: 'private',
        Init: false,
      },
    });
    const stream = await this.container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    this.stdin = stream;
    const stdout = new PassThrough();
    this.docker.modem.demuxStream(stream, stdout, this.stderr);
    stdout.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
    stream.on('end', () => { void this.close(); });
    stream.on('error', (err: Error) => this.onerror?.(err));
    await this.container.start();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.stdin || this.closed) throw new Error('the connector\'s container is not running');
    this.stdin.write(serializeMessage(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin?.end();
    if (this.container) await removeHard(this.container).catch(() => undefined);
    this.buffer.clear();
    this.onclose?.();
  }
}

/**
 * The command runner inside a job's container. `docker exec` costs 50-100 ms a command on
 * a 2-core machine (runc joins the namespaces and cgroups anew each time; measured with
 * scripts/bench/sandbox.mjs), far past the 60 ms goal, so the container's main process is
 * instead a small Python loop that reads one request per line on its stdin (attached by
 * the daemon) and forks each command itself: a few ms.
 *
 * The commands it runs are hostile, so its protocol must be out of their reach. It is the
 * container's PID 1 (no docker-init, whose /proc/1/fd/1 would be the daemon's stream too)
 * and makes itself non-dumpable: its /proc entries (fd/, mem) then belong to root, and
 * commands, with no capabilities, can neither write into its stream nor read its memory.
 * Each request carries a fresh nonce that its end frame must echo, so a frame a command
 * managed to place anyway would not end the command. And the daemon does not take the
 * runner's word that a command is over: it confirms from the host that the runner is the
 * only process left (see quiet.ts).
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SandboxError } from '../errors.js';
import { SANDBOX_ENV } from './image.js';

/** argv[1]: seconds until the runner exits by itself (the job's wall clock), so a crashed daemon's container stops. */
export const RUNNER_PY = String.raw`
import ctypes, json, os, select, signal, struct, subprocess, sys, time
if ctypes.CDLL(None).prctl(4, 0, 0, 0, 0) != 0: sys.exit('runner: cannot make itself non-dumpable')  # PR_SET_DUMPABLE
ENV = dict(kv.split('=', 1) for kv in json.loads(sys.argv[2]))
CGROUP = ['/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/pids/pids.events', '/sys/fs/cgroup/pids.events']
signal.signal(signal.SIGALRM, lambda *_: os._exit(0))  # PID 1 ignores signals it has no handler for
signal.alarm(int(sys.argv[1]))
out = sys.stdout.buffer
def send(kind, payload):
    out.write(kind + struct.pack('>I', len(payload)) + payload)
    out.flush()
def killpg(p, sig):
    try: os.killpg(p.pid, sig)
    except OSError: pass
LIBC = ctypes.CDLL(None)
def prefer_me():
    # Dumpable again to reach its own /proc (exec would make it so anyway; no other process of
    # the job exists yet). Should memory run out, the kernel kills a command rather than this runner.
    LIBC.prctl(4, 1, 0, 0, 0)
    with open('/proc/self/oom_score_adj', 'w') as f: f.write('1000')
def reap_others(keep):
    # PID 1 inherits every orphan; their zombies would eat the pids limit.
    while True:
        try: info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError: return
        if info is None or info.si_pid == keep: return
        os.waitpid(info.si_pid, 0)
def end_all():
    # Kill and reap until no process but this one is left: a fork racing the first kill
    # survives it, and orphans become this PID 1's children as their parents die.
    while True:
        try: os.kill(-1, signal.SIGKILL)
        except OSError: pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] != 0: pass
        except ChildProcessError: return
        time.sleep(0.002)
def run(cmd, timeout, nonce):
    try:
        p = subprocess.Popen(['sh', '-c', cmd], cwd='/workspace', env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True, preexec_fn=prefer_me)
    except OSError as e:  # no process to be had: the pids limit
        send(b'e', ('sandbox: cannot fork: %s\n' % e).encode()); send(b'x', json.dumps({'exit': 126, 'timedOut': False, 'nonce': nonce}).encode())
        return
    fds = {p.stdout.fileno(): b'o', p.stderr.fileno(): b'e', 0: None}
    start = time.monotonic(); term_at = start + timeout; ended_at = None; timed_out = False
    while len(fds) > 1:
        reap_others(p.pid)
        now = time.monotonic()
        if ended_at is None and p.poll() is not None:
            ended_at = now; killpg(p, signal.SIGKILL)  # what the command left running ends with it
        if ended_at is not None and now > ended_at + 0.5: break  # a pipe held by an escaped process
        if ended_at is None and now >= term_at:
            if not timed_out: timed_out = True; killpg(p, signal.SIGTERM)
            elif now >= term_at + 2: killpg(p, signal.SIGKILL)
        for fd in select.select(list(fds), [], [], 0.05)[0]:
            data = os.read(fd, 65536)
            if fd == 0:  # nothing comes during a command but the end: the daemon is gone
                if not data: killpg(p, signal.SIGKILL); os._exit(0)
            elif data: send(fds[fd], data)
            else: del fds[fd]
    killpg(p, signal.SIGKILL)  # background processes that did not hold the pipes
    code = p.wait()
    # And those that left the group (setsid): nothing of a command outlives it, so between
    # commands the daemon may touch output/ with no sandbox process racing it.
    end_all()
    send(b'x', json.dumps({'exit': code if code >= 0 else 128 - code, 'timedOut': timed_out, 'nonce': nonce}).encode())
for line in sys.stdin.buffer:
    req = json.loads(line)
    if 'cmd' in req: run(req['cmd'], req['timeout'], req['nonce'])
    else:
        found = {}
        for f in CGROUP:
            try:
                with open(f) as fh: found[f] = fh.read()
            except OSError: pass
        send(b'c', json.dumps({'files': found, 'nonce': req['nonce']}).encode())
`;

type Waiter = { kind: 'x' | 'c'; nonce: string; resolve(payload: Record<string, unknown>): void; reject(err: Error): void };

/** The daemon's end of one container's runner: one request at a time. */
export class Runner {
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: Waiter | undefined;
  private onOut: ((kind: 'o' | 'e', chunk: Buffer) => void) | undefined;
  private ended: Error | undefined;
  private errText = '';

  private constructor(private readonly stream: Duplex) {}

  /** Attaches to a created container's stdio, then starts it (attaching first loses no output). */
  static async start(docker: Docker, container: Docker.Container): Promise<Runner> {
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    const runner = new Runner(stream);
    const out = new PassThrough().on('data', (c: Buffer) => runner.feed(c));
    const err = new PassThrough().on('data', (c: Buffer) => { runner.errText = (runner.errText + c.toString()).slice(-2000); });
    docker.modem.demuxStream(stream, out, err);
    const stop = (): void => runner.fail(new SandboxError(`the sandbox runner stopped${runner.errText ? `: ${runner.errText.trim()}` : ''}`));
    stream.on('end', stop).on('close', stop).on('error', stop);
    await container.start();
    return runner;
  }

  /** Runs `sh -c command`; output arrives through the callback as it comes. */
  async run(command: string, timeoutMs: number, onOut: (kind: 'o' | 'e', chunk: Buffer) => void): Promise<{ exitCode: number; timedOut: boolean }> {
    this.onOut = onOut;
    try {
      const parsed = await this.request({ cmd: command, timeout: timeoutMs / 1000 }, 'x');
      if (typeof parsed.exit !== 'number') throw new SandboxError('the sandbox runner sent a malformed reply');
      return { exitCode: parsed.exit, timedOut: parsed.timedOut === true };
    } finally {
      this.onOut = undefined;
    }
  }

  /** The container's cgroup files, by path: read by the runner, so this works when no process can be forked. */
  async cgroupFiles(): Promise<Record<string, string>> {
    const { files } = await this.request({ probe: true }, 'c');
    return typeof files === 'object' && files !== null ? (files as Record<string, string>) : {};
  }

  private request(body: object, kind: 'x' | 'c'): Promise<Record<string, unknown>> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.waiter) return Promise.reject(new SandboxError('the sandbox runner is busy'));
    const nonce = randomBytes(16).toString('hex');
    return new Promise((resolve, reject) => {
      this.waiter = { kind, nonce, resolve, reject };
      this.stream.write(`${JSON.stringify({ ...body, nonce })}\n`);
    });
  }

  /** Frames: one byte of kind, four of length (big-endian), the payload. */
  private feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 5 + length) return;
      const kind = String.fromCharCode(this.buffer[0] as number);
      const payload = this.buffer.subarray(5, 5 + length);
      this.buffer = this.buffer.subarray(5 + length);
      if (kind === 'o' || kind === 'e') this.onOut?.(kind, payload);
      else if (kind === 'x' || kind === 'c') this.reply(kind, payload);
      else this.fail(new SandboxError(`the sandbox runner sent a frame of unknown kind ${JSON.stringify(kind)}`));
    }
  }

  /** An end frame: only one that echoes the request's nonce counts; any other means the protocol was tampered with. */
  private reply(kind: 'x' | 'c', payload: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString());
    } catch {
      parsed = undefined;
    }
    const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const waiter = this.waiter;
    if (!waiter || waiter.kind !== kind || body.nonce !== waiter.nonce) {
      this.fail(new SandboxError('the sandbox runner\'s stream carried a frame that is not the runner\'s answer (forged); the container is discarded'));
      return;
    }
    this.waiter = undefined;
    waiter.resolve(body);
  }

  private fail(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    this.waiter?.reject(err);
    this.waiter = undefined;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** The runner's argv: python3 -I (no module from the working folder) -u -c RUNNER_PY <wall seconds> <env as JSON>. */
  static command(wallS: number, env: readonly string[] = SANDBOX_ENV): string[] {
    return ['python3', '-I', '-u', '-c', RUNNER_PY, String(wallS), JSON.stringify(env)];
  }
}

/**
 * How a sandboxed command reaches its job's egress proxy. The sandbox has no network of its
 * own (Docker's `none`, bubblewrap's empty network namespace: loopback only), and the proxy's
 * Unix socket is mounted at /run/dropwork/proxy.sock. Programs expect an HTTP proxy at a TCP
 * address, so each command runs under a small Python forwarder (the sandbox image and the
 * host both have python3; nothing else to install) that listens on 127.0.0.1:3128 in the
 * sandbox's own network namespace and joins each connection to the socket, byte for byte.
 * The forwarder listens before the command starts and ends with it; it judges nothing, the
 * proxy on the host does. Its cost is measured by scripts/bench/proxy.mjs.
 *
 *   sandbox (no network)                      host
 *   curl ──► 127.0.0.1:3128 (forwarder) ──► /run/dropwork/proxy.sock ══► EgressProxy ──► allowed host:port
 */

/** Where the job's socket folder is mounted inside the sandbox. */
export const SOCKET_DIR_INSIDE = '/run/dropwork';
export const SOCKET_NAME = 'proxy.sock';
export const FORWARD_PORT = 3128;

const PROXY_URL = `http://127.0.0.1:${FORWARD_PORT}`;

/** Both spellings: curl reads the lower case (and HTTPS_PROXY), Python and pip either. */
export const PROXY_ENV = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy'].map((k) => `${k}=${PROXY_URL}`);

/**
 * argv[1] socket, argv[2] port, argv[3:] the command. Exits as the command did (128+N for a
 * signal). os.fork and _thread rather than subprocess and threading: fewer modules to load.
 */
export const FORWARDER_PY = String.raw`
import os, socket, sys, _thread
SOCK, PORT, CMD = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', PORT)); ls.listen(64)
def pump(a, b, done=None):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
    if done: done.release()
def serve(c):
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try: u.connect(SOCK)
    except OSError:
        c.sendall(b'HTTP/1.1 502 blocked: the egress proxy is not reachable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'); c.close(); return
    done = _thread.allocate_lock(); done.acquire()
    _thread.start_new_thread(pump, (u, c, done))
    pump(c, u); done.acquire(); c.close(); u.close()
def accept():
    while True:
        c, _ = ls.accept()
        _thread.start_new_thread(serve, (c,))
pid = os.fork()
if pid == 0:
    ls.close()
    try: os.execvp(CMD[0], CMD)
    finally: os._exit(127)
_thread.start_new_thread(accept, ())
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
os._exit(128 - code if code < 0 else code)
`;

/** The command's argv under the forwarder (bubblewrap: no shell in between). */
export function forwardedArgv(argv: string[], python = 'python3'): string[] {
  // -S: no site module, the stdlib is all it needs (halves its start: 0.2 s against 0.4 s on a loaded machine).
  return [python, '-I', '-S', '-c', FORWARDER_PY, `${SOCKET_DIR_INSIDE}/${SOCKET_NAME}`, String(FORWARD_PORT), ...argv];
}

/** The same as one `sh -c` string (Docker's runner takes a command line). */
export function forwardedCommand(command: string): string {
  return `exec ${forwardedArgv(['sh', '-c', command]).map(shellQuote).join(' ')}`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

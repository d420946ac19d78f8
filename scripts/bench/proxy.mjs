// What a rule's network allowlist costs: each request through the job's egress proxy against
// the same request made directly, side by side in one run, against an HTTP server on 127.0.0.1.
//   - host: a Node client, direct vs through the proxy's Unix socket (the proxy's own cost:
//     parse, judge, connect, pipe);
//   - Python's urllib, direct on the host vs from inside the Docker and bubblewrap sandboxes
//     (forwarder on 127.0.0.1:3128 + socket + proxy), N requests in one command;
//   - a command's start with an allowlist vs without (the forwarder starting with it).
//
//   node scripts/bench/proxy.mjs            (after `npm run build`; or `npm run bench -- proxy`)
//
// Knobs (environment): BENCH_PROXY_N (200 host requests; a tenth of that in the sandboxes).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ms, percentile, printTable, verdict } from './lib/table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
const N = Number(process.env.BENCH_PROXY_N ?? 200);
const SANDBOX_N = Math.max(5, Math.round(N / 10));
const load = (file) => import(path.join(dist, 'sandbox', file));
const [{ connectDocker }, { DockerBackend }, { imageStatus }, { defaultLimits }, { BubblewrapBackend, probeBubblewrap }, { JobEgress }] = await Promise.all(
  ['container.js', 'docker.js', 'image.js', 'limits.js', 'bubblewrap.js', 'egress/job.js'].map(load),
);

const server = http.createServer((req, res) => res.end('ok\n'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const url = `http://127.0.0.1:${port}/x`;

async function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

const direct = () => new Promise((resolve, reject) => {
  http.get(url, { agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
});
const viaSocket = (socketPath) => () => new Promise((resolve, reject) => {
  const s = net.connect(socketPath, () => s.write(`GET ${url} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
  let got = '';
  s.on('data', (c) => { got += c; }).on('close', () => (got.includes('ok') ? resolve() : reject(new Error(got)))).on('error', reject);
});

const pyLoop = `python3 -c "
import time, urllib.request
t = time.perf_counter()
for _ in range(${SANDBOX_N}): urllib.request.urlopen('${url}', timeout=10).read()
print((time.perf_counter() - t) * 1000 / ${SANDBOX_N})
"`;

function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-bench-'));
  for (const d of ['input', 'output']) fs.mkdirSync(path.join(dir, d));
  return { root: dir, input: path.join(dir, 'input'), output: path.join(dir, 'output') };
}

const rows = [['what', 'median', 'p95', 'vs direct', 'goal']];
const row = (what, samples, base, goal) => {
  const med = percentile(samples, 50);
  rows.push([what, ms(med), ms(percentile(samples, 95)), base === undefined ? '' : `+${ms(med - base)}`, verdict(goal?.(med))]);
  return med;
};

const egress = await JobEgress.open({ allow: [`127.0.0.1:${port}`] });
await direct();
const base = row(`host, Node http, direct (${N})`, await timeEach(N, direct));
row(`host, Node http, through the proxy (${N})`, await timeEach(N, viaSocket(path.join(egress.dir, 'proxy.sock'))), base, (m) => m - base < 5);
await egress.close();

const { stdout } = await promisify(execFile)('sh', ['-c', pyLoop.replace(/^python3 -c /, 'python3 -I -c ')], { env: { PATH: '/usr/bin:/bin', no_proxy: '*' } });
const pyBase = row(`host, Python urllib, direct (${SANDBOX_N} in one process)`, [Number(stdout)]);

const ws = workspace();
const limits = { ...defaultLimits };
const backends = [];
try {
  const docker = await connectDocker();
  const image = await imageStatus(docker);
  if (image.state === 'present') backends.push(new DockerBackend(docker, image, 'dropwork-bench-proxy'));
  else process.stdout.write(`docker: ${image.message}\n`);
} catch (err) {
  process.stdout.write(`docker: ${err.message}\n`);
}
const probe = await probeBubblewrap();
if (probe.ok) backends.push(new BubblewrapBackend(probe.features));
for (const backend of backends) {
  const allowed = await backend.open({ jobId: 'bench-proxy', workspace: ws, network: { allow: [`127.0.0.1:${port}`] }, limits });
  const plain = await backend.open({ jobId: 'bench-plain', workspace: ws, network: false, limits });
  try {
    const r = await allowed.run(pyLoop);
    if (r.exitCode !== 0) throw new Error(`${backend.kind}: ${r.stderr}`);
    row(`${backend.kind}, Python urllib, through forwarder + proxy (${SANDBOX_N} in one command)`, [Number(r.stdout)], pyBase, (m) => m - pyBase < 10);
    await plain.run('true');
    await allowed.run('true');
    const plainStart = row(`${backend.kind}, command \`true\`, no network (10)`, await timeEach(10, () => plain.run('true')));
    row(`${backend.kind}, command \`true\`, with an allowlist (10)`, await timeEach(10, () => allowed.run('true')), plainStart, (m) => m - plainStart < 60);
  } finally {
    await allowed.close();
    await plain.close();
  }
}
fs.rmSync(ws.root, { recursive: true, force: true });
server.close();
printTable(rows);
process.stdout.write('goals: the proxy adds under 5 ms a request on the host, under 10 ms from a sandbox; the forwarder adds under 60 ms to a command\n');

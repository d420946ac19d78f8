// A real daemon for the benchmarks: `node bin/dropwork.js start` in a throw-away home, watched
// from outside through /proc and a read-only handle on its SQLite file (what `dropwork status`
// does), so the numbers are the daemon's own and not the benchmark's.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'dropwork.js');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A home with config.yaml and one rule file. The rules folder exists before the first start, so
 * the daemon does not copy the example rules in.
 */
export function makeHome(label, { config, rule }) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `dropwork-bench-${label}-`));
  fs.mkdirSync(path.join(home, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(home, 'config.yaml'), config);
  fs.writeFileSync(path.join(home, 'rules', `${label}.yaml`), rule);
  return home;
}

export function removeHome(home) {
  if (process.env.BENCH_KEEP === '1') process.stderr.write(`kept ${home}\n`);
  else fs.rmSync(home, { recursive: true, force: true });
}

/** Starts the daemon and resolves once it has written its first heartbeat. */
export async function startDaemon(home) {
  const logFile = path.join(home, 'daemon.stderr');
  const out = fs.openSync(logFile, 'a');
  // Its log lines go to a file: piping 10,000 "job succeeded" lines through this process would
  // make the benchmark part of what it measures.
  // BENCH_DAEMON_ARGS passes Node flags to the daemon, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_DAEMON_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'start'], {
    cwd: home,
    env: { ...process.env, DROPWORK_HOME: home, HOME: home, DROPWORK_NOTIFY: 'off', DROPWORK_PORT: '0' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const dbFile = path.join(home, 'dropwork.db');
  const deadline = Date.now() + 30_000;
  let db;
  while (!db) {
    if (exited) throw new Error(`the daemon exited at start (${JSON.stringify(exited)}):\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`the daemon did not start within 30 s:\n${tail(logFile)}`);
    if (fs.existsSync(dbFile)) {
      try {
        const d = new Database(dbFile, { readonly: true, fileMustExist: true });
        const row = d.prepare("SELECT value FROM state WHERE key = 'daemon'").get();
        if (row && JSON.parse(row.value)?.pid === child.pid) db = d;
        else d.close();
      } catch {
        /* still migrating */
      }
    }
    if (!db) await sleep(50);
  }
  return {
    pid: child.pid,
    home,
    db,
    logFile,
    /** SIGTERM, then SIGKILL if it has not stopped within 40 s. */
    async stop() {
      db.close();
      if (!exited) {
        child.kill('SIGTERM');
        const late = setTimeout(() => child.kill('SIGKILL'), 40_000);
        await exit;
        clearTimeout(late);
      }
      return exited;
    },
  };
}

function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** kB figures from /proc/PID/status: VmRSS (now) and VmHWM (the peak since start). */
export function memoryKb(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

let ticksPerSecond;
/** CPU seconds the process has used (user + system), from /proc/PID/stat. */
export function cpuSeconds(pid) {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond;
}

/** Samples VmRSS every `ms` until stopped; returns the highest sample in kB. */
export function sampleRss(pid, ms = 100) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryKb(pid).rss);
    } catch {
      /* exited */
    }
  }, ms);
  return { stop: () => { clearInterval(timer); return peak; }, get peak() { return peak; } };
}

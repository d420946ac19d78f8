/**
 * The daemon's young generation, capped as Node 20 had it. From Node 22, V8 grows each of the
 * two semi-spaces up to 64 MB under a burst's allocation (Node 20 stopped at 16 MB), while the
 * daemon's live heap is 40-70 MB: a 10,000-file burst peaked at 253 MB RSS, 128 MB of it young
 * generation, against 187 MB with 16 MB semi-spaces for the same CPU (`npm run bench --
 * pipeline`). V8 reads the limit only when it starts, so `dropwork start` runs itself again with
 * it: process.execve keeps the pid, stdio and environment. A flag given by hand is left alone.
 */
const FLAG = '--max-semi-space-size';
const SEMI_SPACE_MB = 16;

export function capYoungGeneration(): void {
  if (typeof process.execve !== 'function' || process.platform === 'win32') return;
  if (process.execArgv.some((a) => a.startsWith(FLAG))) return;
  if ((process.env.NODE_OPTIONS ?? '').includes(FLAG)) return;
  process.execve(process.execPath, [process.execPath, `${FLAG}=${SEMI_SPACE_MB}`, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

import fs from 'node:fs';
import path from 'node:path';
import { fail, formatBytes, pass, warn, type Check } from '../check.js';

const MiB = 1024 * 1024;
/** Below this, publishing and the database will soon fail. */
const TOO_LITTLE = 200 * MiB;
/** Below this, a batch of scans or a long agent job may not fit. */
const LOW = 2048 * MiB;

/** Free space where dropwork writes: every outputs folder, and the data folder (database, job workspaces). */
export const diskCheck: Check = {
  id: 'disk',
  title: 'Disk space',
  run(ctx) {
    const places = new Map<string, string>();
    for (const rule of ctx.rules.list()) places.set(rule.output, `outputs of ${rule.name}`);
    places.set(ctx.paths.dataDir, 'the database and job folders');
    const seen = new Map<number, { free: number; what: string[]; folders: string[] }>();
    for (const [folder, what] of places) {
      const existing = nearestExisting(folder);
      const dev = fs.statSync(existing).dev;
      const s = fs.statfsSync(existing);
      const entry = seen.get(dev) ?? { free: s.bavail * s.bsize, what: [], folders: [] };
      entry.what.push(what);
      entry.folders.push(folder);
      seen.set(dev, entry);
    }
    const worst = [...seen.values()].sort((a, b) => a.free - b.free)[0];
    if (!worst) return pass('nothing to check');
    const summary = `${formatBytes(worst.free)} free for ${worst.what.length === 1 ? worst.what[0] : `${worst.what.length} folders`} (${worst.folders[0]}${worst.folders.length > 1 ? ', ...' : ''})`;
    const fix = `free some space on that disk, or point \`output:\` at a disk with room; it holds: ${worst.what.join(', ')}`;
    if (worst.free < TOO_LITTLE) return fail(summary, fix);
    if (worst.free < LOW) return warn(summary, fix);
    return pass(seen.size === 1 ? summary : `${summary}; more on the other disks`);
  },
};

/** An outputs folder may not exist until its first result: its disk is its nearest parent's. */
function nearestExisting(folder: string): string {
  let p = folder;
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  return p;
}

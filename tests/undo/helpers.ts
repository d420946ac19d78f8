import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../src/queue/store.js';
import { Blobs } from '../../src/undo/blobs.js';
import { Journal, saveJournal } from '../../src/undo/journal.js';

/** A real history (a SQLite file, or a PostgreSQL database) and real folders; jobs "run" by writing files through a Journal as publishing does. */
export interface UndoBench {
  root: string;
  out: string;
  store: Store;
  blobs: Blobs;
  /** Runs fn as job N of rule r: what fn records in the journal is saved with the job's success. */
  job(fn: (j: Journal) => void, rule?: string): number;
  cleanup(): void;
}

/** `open`: the history to use (tests/support/stores.ts); a SQLite file in the bench's folder by default. */
export function undoBench(open?: () => Store): UndoBench {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-undo-'));
  const out = path.join(root, 'outputs');
  fs.mkdirSync(out);
  const store = open ? open() : new Store(path.join(root, 'dropwork.db'));
  const blobs = new Blobs(path.join(root, 'undo', 'blobs'));
  let n = 0;
  return {
    root, out, store, blobs,
    job(fn, rule = 'r') {
      const row = store.enqueue({ rule, file: null, sha256: `s${++n}`, trigger: 'manual', dedupe: false });
      if (!row || !store.claim('w')) throw new Error('could not start a job');
      const journal = new Journal(blobs);
      fn(journal);
      store.db.transaction(() => {
        store.move(row.id, 'succeeded', {}, { worker: 'w', from: ['running'] });
        saveJournal(store.db, row.id, journal.changes, blobs.seal);
      })();
      return row.id;
    },
    cleanup() {
      store.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Publishing as it writes a new or replaced file (temp + rename), journaled. */
export function write(j: Journal, file: string, content: string): void {
  const before = j.keepBefore(file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
  j.wrote(file, before);
}

/** Publishing an append onto the file as it is now, journaled. */
export function append(j: Journal, file: string, content: string): void {
  const before = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
  fs.appendFileSync(file, content);
  if (before.length === 0) j.wrote(file);
  else j.appended(file, { sha256: createHash('sha256').update(before).digest('hex'), size: before.length });
}

/** Every file under a folder with its content, for before/after comparisons. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

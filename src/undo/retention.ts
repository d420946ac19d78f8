import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../queue/store.js';
import { clip } from '../nofollow.js';
import { isBlobName, type Blobs } from './blobs.js';

export interface Retention {
  keepDays: number;
  maxMb: number;
}

export interface Pruned {
  /** Jobs that can no longer be reverted after this pruning. */
  expired: number;
  freedBytes: number;
  /** What the kept versions take now. */
  usedBytes: number;
  /** Rows of undo_blobs whose name is not a sha256 (written by hand into the database): forgotten, no file touched. */
  refused: string[];
}

/**
 * Keeps undo within `undo_keep_days` and `undo_max_mb`: jobs finished earlier, then the oldest
 * jobs until the kept versions fit, lose their undo record ("can no longer be reverted"), and
 * versions no standing record needs are deleted. A version shared by several jobs stays while
 * any of them can still be reverted.
 */
export function pruneUndo(store: Store, blobs: Blobs, r: Retention, now = Date.now()): Pruned {
  const db = store.db;
  const expire = db.prepare('UPDATE jobs SET undo_expired = 1 WHERE id = ? AND undo_expired = 0');
  let expired = 0;
  const old = db.prepare(`SELECT DISTINCT j.id FROM jobs j JOIN undo_journal u ON u.job_id = j.id
    WHERE j.undo_expired = 0 AND j.status = 'succeeded' AND j.finished_at < ?`).all(now - r.keepDays * 86_400_000) as { id: number }[];
  db.transaction(() => { for (const { id } of old) expired += expire.run(id).changes; })();

  const budget = r.maxMb * 1024 * 1024;
  const live = (): number => (db.prepare(`SELECT coalesce(sum(b.size), 0) AS n FROM undo_blobs b WHERE EXISTS (SELECT 1 FROM undo_journal u JOIN jobs j ON j.id = u.job_id
      WHERE u.prev_sha256 = b.sha256 AND u.kind = 'replaced' AND j.undo_expired = 0 AND j.status = 'succeeded')`).get() as { n: number }).n;
  if (live() > budget) {
    // EXISTS, not DISTINCT over a join: PostgreSQL orders a DISTINCT only by what it selects.
    const oldestFirst = db.prepare(`SELECT j.id FROM jobs j WHERE j.undo_expired = 0 AND j.status = 'succeeded'
      AND EXISTS (SELECT 1 FROM undo_journal u WHERE u.job_id = j.id AND u.kind = 'replaced') ORDER BY j.finished_at, j.id`).all() as { id: number }[];
    for (const { id } of oldestFirst) {
      expired += expire.run(id).changes;
      if (live() <= budget) break;
    }
  }

  // Versions no revertable job needs any more; and files a job kept but never recorded (it
  // failed after keeping them), once they are a day old.
  const unneeded = db.prepare(`SELECT sha256 FROM undo_blobs b WHERE NOT EXISTS (SELECT 1 FROM undo_journal u JOIN jobs j ON j.id = u.job_id
      WHERE u.prev_sha256 = b.sha256 AND u.kind = 'replaced' AND j.undo_expired = 0 AND j.status = 'succeeded')`).all() as { sha256: string }[];
  let freedBytes = 0;
  const forget = db.prepare('DELETE FROM undo_blobs WHERE sha256 = ?');
  const refused: string[] = [];
  for (const { sha256 } of unneeded) {
    if (!isBlobName(sha256)) refused.push(clip(String(sha256), 80));
    else freedBytes += blobs.remove(sha256);
    forget.run(sha256);
  }
  const known = db.prepare('SELECT 1 FROM undo_blobs WHERE sha256 = ?');
  for (const file of listBlobFiles(blobs.dir)) {
    const name = path.basename(file);
    if (known.get(name)) continue;
    try {
      if (now - fs.statSync(file).mtimeMs > 86_400_000) {
        freedBytes += fs.statSync(file).size;
        fs.rmSync(file);
      }
    } catch {
      /* already gone */
    }
  }
  return { expired, freedBytes, usedBytes: live(), refused };
}

function listBlobFiles(dir: string): string[] {
  const out: string[] = [];
  let shards: string[];
  try {
    shards = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const shard of shards) {
    const d = path.join(dir, shard);
    try {
      for (const name of fs.readdirSync(d)) out.push(path.join(d, name));
    } catch {
      /* a file, not a shard folder */
    }
  }
  return out;
}

/** Space the undo backups take, for `status` and `doctor`. */
export function undoSpace(store: Store): { bytes: number; versions: number } {
  const row = store.db.prepare('SELECT coalesce(sum(size), 0) AS bytes, count(*) AS versions FROM undo_blobs').get() as { bytes: number; versions: number };
  return row;
}

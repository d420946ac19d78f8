import fs from 'node:fs';
import path from 'node:path';
import type { JobRow } from '../queue/status.js';
import type { Store } from '../queue/store.js';

/**
 * A job queued on another host of a team runs from the copy of its file that travelled with it
 * in the database (intake.ts), written beside the job's folder; the original stays in that
 * host's inbox. Returns the job as this host runs it, and the folder to remove afterwards.
 */
export function localJob(store: Store, jobsDir: string, job: JobRow, host: string | undefined): { job: JobRow; elsewhere?: string; folder?: string } {
  if (!store.carriesFiles || !job.file || !job.collected_by || job.collected_by === host) return { job };
  const kept = store.keptFile(job.id);
  if (!kept) return { job };
  const folder = path.join(jobsDir, `${job.id}.input`);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, path.basename(kept.name) || 'file');
  fs.writeFileSync(file, kept.bytes, { mode: 0o600 });
  return { job: { ...job, file }, elsewhere: job.collected_by, folder };
}

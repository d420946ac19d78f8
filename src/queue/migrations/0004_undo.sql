-- Undo: what each job changed, written in the same transaction as its success, so any job can
-- be put back exactly (`dropwork jobs revert`). One row per change, in the order it was made:
--   created   path did not exist; the job made it (sha256/size: what it published)
--   replaced  path existed; its earlier content is the blob prev_sha256 in the data folder
--   appended  path existed; the job added bytes prev_size..size (the earlier bytes are the file's
--             own first prev_size bytes, so a ledger appended to 1,000 times keeps no copies)
--   original  after: moved the original from path to moved_to (the trash, or a folder)
CREATE TABLE undo_journal (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  kind TEXT NOT NULL CHECK (kind IN ('created', 'replaced', 'appended', 'original')),
  path TEXT NOT NULL,
  moved_to TEXT,
  trash_info TEXT,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  prev_sha256 TEXT,
  prev_size INTEGER,
  at INTEGER NOT NULL
);
CREATE INDEX undo_journal_job ON undo_journal (job_id);
CREATE INDEX undo_journal_path ON undo_journal (path, job_id);

-- Earlier versions of replaced files, by content: identical versions are kept once.
CREATE TABLE undo_blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  kept_at INTEGER NOT NULL
);

-- Each revert, so one killed half-way is finished by running it again (or at the next start).
CREATE TABLE reverts (
  id INTEGER PRIMARY KEY,
  jobs TEXT NOT NULL,
  by TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER
);

ALTER TABLE jobs ADD COLUMN reverted_at INTEGER;
ALTER TABLE jobs ADD COLUMN reverted_by TEXT;
-- Set when the journal's backups were pruned (undo_keep_days / undo_max_mb).
ALTER TABLE jobs ADD COLUMN undo_expired INTEGER NOT NULL DEFAULT 0;

-- A new status, 'reverted'. SQLite cannot alter a CHECK constraint; widening the list of allowed
-- values changes nothing on disk, so (last, after every other change to the table) the table's definition is edited in place, the procedure
-- SQLite documents for such changes (sqlite.org/lang_altertable.html, "otheralter"); db.ts
-- checks integrity after it. Rebuilding the table instead would cascade-delete the step log.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, '''skipped'', ''cancelled'')', '''skipped'', ''cancelled'', ''reverted'')')
  WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = OFF;


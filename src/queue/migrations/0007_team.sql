-- A team sharing one queue (the same columns on PostgreSQL, migrations/postgres/0007_team.sql).
-- Leases: a running job belongs to its worker until lease_until (ms since epoch); the worker
-- renews it while it runs, and a job whose lease ran out goes back to the queue (its host died).
ALTER TABLE jobs ADD COLUMN lease_until REAL;
-- Which host queued the job (watched the file) and which ran it.
ALTER TABLE jobs ADD COLUMN collected_by TEXT;
ALTER TABLE jobs ADD COLUMN ran_by TEXT;

-- Every dropwork host using this database: what it does and when it was last heard from.
CREATE TABLE hosts (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL CHECK (role IN ('all', 'collect', 'work')),
  version      TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   REAL NOT NULL,
  heartbeat_at REAL NOT NULL,
  running      INTEGER NOT NULL DEFAULT 0,
  -- JSON {rule name: hash of its text}: the dashboard shows a rule whose text differs by host.
  rules        TEXT NOT NULL DEFAULT '{}'
);

-- A collected file travels with its job (up to max_file_mb), so a worker on another machine
-- runs it from here instead of from the collecting host's inbox.
CREATE TABLE job_files (
  job_id  INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  name    TEXT NOT NULL,
  size    INTEGER NOT NULL,
  sha256  TEXT NOT NULL,
  bytes   BLOB NOT NULL
);

-- The durable queue and the job history are one table: a job's row is its whole story.
CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY,
  rule          TEXT    NOT NULL,
  file          TEXT,
  sha256        TEXT,
  -- rule + content, so the same content runs once per rule; NULL for forced or scheduled runs.
  dedupe_key    TEXT    UNIQUE,
  trigger       TEXT    NOT NULL CHECK (trigger IN ('watch', 'schedule', 'manual')),
  status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled')),
  reason        TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  -- times this job was running when the daemon died; too many and it is failed.
  crashes       INTEGER NOT NULL DEFAULT 0,
  run_at        INTEGER NOT NULL,
  locked_by     TEXT,
  last_error    TEXT,
  payload       TEXT    NOT NULL DEFAULT '{}',
  outputs       TEXT    NOT NULL DEFAULT '[]',
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens   INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL    NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_claim ON jobs (status, run_at);
CREATE INDEX jobs_rule ON jobs (rule, id);
CREATE INDEX jobs_finished ON jobs (finished_at);

-- The step log: what happened inside a job, in order (steps, retries, the agent's turns).
CREATE TABLE job_log (
  id      INTEGER PRIMARY KEY,
  job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  at      INTEGER NOT NULL,
  kind    TEXT    NOT NULL,
  message TEXT    NOT NULL,
  data    TEXT
);
CREATE INDEX job_log_job ON job_log (job_id, id);

-- Content hashes by path, size and mtime, so a rescan of 10,000 files hashes none of them again.
CREATE TABLE file_hashes (
  path      TEXT PRIMARY KEY,
  size      INTEGER NOT NULL,
  mtime_ms  REAL    NOT NULL,
  sha256    TEXT    NOT NULL
);

-- Small facts the daemon shares with the CLI: heartbeat, inbox watch modes, last firings.
CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

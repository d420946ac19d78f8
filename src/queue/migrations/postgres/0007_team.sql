-- What migrations/0007_team.sql adds, in PostgreSQL's types.
ALTER TABLE dropwork.jobs ADD COLUMN lease_until DOUBLE PRECISION;
ALTER TABLE dropwork.jobs ADD COLUMN collected_by TEXT;
ALTER TABLE dropwork.jobs ADD COLUMN ran_by TEXT;

CREATE TABLE dropwork.hosts (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL CHECK (role IN ('all', 'collect', 'work')),
  version      TEXT NOT NULL,
  pid          BIGINT NOT NULL,
  started_at   DOUBLE PRECISION NOT NULL,
  heartbeat_at DOUBLE PRECISION NOT NULL,
  running      BIGINT NOT NULL DEFAULT 0,
  rules        TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE dropwork.job_files (
  job_id  BIGINT PRIMARY KEY REFERENCES dropwork.jobs (id) ON DELETE CASCADE,
  name    TEXT NOT NULL,
  size    BIGINT NOT NULL,
  sha256  TEXT NOT NULL,
  bytes   BYTEA NOT NULL
);

-- The claim's own index: the next queued job in run_at order, however long the history grows.
CREATE INDEX jobs_queued ON dropwork.jobs (run_at, id) WHERE status = 'queued';

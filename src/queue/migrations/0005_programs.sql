-- Compiled rules (src/program): after a rule's agent has done its task a few times, a compile
-- job writes a program that does the same, dropwork replays it on those examples, and once
-- approved new files of the rule run the program instead of the model.
--
-- One row per program a compile job produced (or per decision that a task cannot be compiled).
-- `task_hash` is a hash of the rule's do:, files and output: editing them retires the program.
CREATE TABLE programs (
  id            INTEGER PRIMARY KEY,
  rule          TEXT    NOT NULL,
  task_hash     TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('suggested', 'approved', 'rejected', 'retired', 'not_compilable')),
  reason        TEXT,
  source        TEXT,
  source_sha256 TEXT,
  -- JSON: the example job ids it was proven on, and the replay result of each.
  examples      TEXT    NOT NULL DEFAULT '[]',
  replay        TEXT    NOT NULL DEFAULT '[]',
  approved_by   TEXT,
  compile_job   INTEGER REFERENCES jobs (id),
  -- Files it refused or got wrong since it was approved (each went to the agent).
  fallbacks     INTEGER NOT NULL DEFAULT 0,
  runs          INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX programs_rule ON programs (rule, task_hash, id);

-- Agent jobs kept as examples: the input and what the job published (before and after), copied
-- under the data folder when the job succeeded (the original may be moved by after: later).
CREATE TABLE program_examples (
  job_id     INTEGER PRIMARY KEY REFERENCES jobs (id),
  rule       TEXT    NOT NULL,
  task_hash  TEXT    NOT NULL,
  dir        TEXT    NOT NULL,
  cost_usd   REAL    NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX program_examples_rule ON program_examples (rule, task_hash, job_id);

-- Which runner did the job's file: 'program' (with its version) or, after a program fell back
-- or for a rule without one, NULL (the rule's kind says: steps or the agent).
ALTER TABLE jobs ADD COLUMN runner TEXT;
ALTER TABLE jobs ADD COLUMN program_version INTEGER;

-- A new trigger, 'compile'. As 0003 did for status: the CHECK is widened by editing the table's
-- definition in place (nothing stored changes); db.ts reloads the schema and checks integrity.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, '''schedule'', ''manual'')', '''schedule'', ''manual'', ''compile'')')
  WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = OFF;

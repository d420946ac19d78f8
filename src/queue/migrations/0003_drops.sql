-- What each rule made of each file it saw: one row per rule and path. A rescan, a quiet sweep or
-- a restart that sees the same file again (same size and mtime, same rule definition) adds
-- nothing to the history; a new drop (new path, new mtime, or a file that left and came back)
-- does. rule_def is the hash of what the rule does, so a fixed rule looks again.
CREATE TABLE drops (
  rule      TEXT    NOT NULL,
  path      TEXT    NOT NULL,
  size      INTEGER NOT NULL,
  mtime_ms  REAL    NOT NULL,
  rule_def  TEXT    NOT NULL,
  -- the job or skipped row the drop made; NULL when it made none (a rule's own result)
  job_id    INTEGER,
  PRIMARY KEY (rule, path)
);

-- Content each rule published, and every rule it came through on its way (lineage, a JSON
-- array): a rule never takes content that came out of it, directly or down a chain of rules,
-- so no layout of inboxes and outputs can loop.
CREATE TABLE produced (
  sha256  TEXT    NOT NULL,
  rule    TEXT    NOT NULL,
  job_id  INTEGER NOT NULL,
  lineage TEXT    NOT NULL,
  PRIMARY KEY (sha256, rule, job_id)
);

-- "Did this rule ever take this content as its input?" (watch/decide.ts) by rule and content.
CREATE INDEX jobs_rule_sha ON jobs (rule, sha256);

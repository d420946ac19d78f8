-- The agent's `if:` decisions, kept so a restart or a file dropped again never asks the
-- condition model twice. The key is sha256(rule name, file sha256, condition text): editing
-- the condition asks afresh, re-dropping the same content does not.
CREATE TABLE condition_cache (
  key TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  match INTEGER NOT NULL,
  reason TEXT NOT NULL,
  model TEXT NOT NULL,
  cost_usd REAL NOT NULL DEFAULT 0,
  decided_at INTEGER NOT NULL
);

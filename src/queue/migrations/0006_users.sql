-- People who may open the dashboard, each with a sign-in link of their own (issue 14). Only a
-- hash of the link's secret is kept: a copy of the database lets nobody in. A removed person's
-- row stays (removed_at set), so the history's "by NAME" keeps meaning someone; adding the same
-- name again brings the row back with a new secret.
CREATE TABLE users (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  -- viewer: reads; approver: also approves, denies, retries, cancels, reverts; admin: everything
  role        TEXT    NOT NULL CHECK (role IN ('viewer', 'approver', 'admin')),
  -- sha256 (hex) of the current sign-in secret; a new link replaces it, so the old one stops working
  secret_hash TEXT    NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  -- when the current link was made
  linked_at   INTEGER NOT NULL,
  removed_at  INTEGER
);

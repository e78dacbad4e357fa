-- The audit log of what happens to revisions besides their changes: each publication, cache
-- compilation and restore, who or what did it, who triggered it, the revision and the outcome
-- (with figures or the error). Rows are only ever appended. (The id column is the one line in
-- which this file differs between SQLite and PostgreSQL.)
CREATE TABLE audit_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    action       TEXT   NOT NULL CHECK (action IN ('publish', 'compile', 'restore')),
    actor        TEXT   NOT NULL,
    triggered_by TEXT   NOT NULL,
    revision     BIGINT NOT NULL,
    outcome      TEXT   NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    detail       TEXT   NOT NULL
);
CREATE INDEX audit_events_by_revision ON audit_events (revision);

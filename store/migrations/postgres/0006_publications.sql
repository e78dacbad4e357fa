-- The outbox: every committed revision leaves a row here, in the same transaction; publishers
-- claim the newest unpublished one, publish it to the origin and the cache, and record how it
-- went. Older revisions still waiting when a newer one is published are superseded.
CREATE TABLE publications (
    revision           BIGINT PRIMARY KEY,
    state              TEXT   NOT NULL CHECK (state IN ('pending', 'publishing', 'published', 'failed', 'superseded')),
    actor              TEXT   NOT NULL,
    committed_ms       BIGINT NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    claimed_by         TEXT,
    claimed_until_ms   BIGINT,
    retry_at_ms        BIGINT,
    last_error         TEXT,
    published_ms       BIGINT,
    build_ms           BIGINT,
    upload_ms          BIGINT,
    switch_ms          BIGINT,
    documents          BIGINT,
    documents_uploaded BIGINT,
    bytes_uploaded     BIGINT,
    checksum           TEXT
);
CREATE INDEX publications_by_state ON publications (state);

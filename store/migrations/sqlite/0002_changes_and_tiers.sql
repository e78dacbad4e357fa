-- The append-only history: one row per entity version, chained by hash. Rows are only ever
-- inserted. `seq` is assigned by the write path while it holds the domain's write lock.
CREATE TABLE changes (
    seq            BIGINT PRIMARY KEY,
    revision       BIGINT NOT NULL,
    entity_kind    TEXT   NOT NULL,
    entity_key     TEXT   NOT NULL,
    entity_version BIGINT NOT NULL,
    operation      TEXT   NOT NULL CHECK (operation IN ('create', 'update', 'delete', 'rollback', 'restore')),
    actor          TEXT   NOT NULL,
    at_ms          BIGINT NOT NULL,
    reason         TEXT   NOT NULL,
    before_image   TEXT,
    after_image    TEXT,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL,
    UNIQUE (entity_kind, entity_key, entity_version)
);
CREATE INDEX changes_by_revision ON changes (revision);

-- Operating environments. Flags are 0/1 so the same SQL reads the same on both databases.
CREATE TABLE tiers (
    name         TEXT   PRIMARY KEY,
    display_name TEXT   NOT NULL,
    is_live      BIGINT NOT NULL CHECK (is_live IN (0, 1)),
    state        TEXT   NOT NULL CHECK (state IN ('active', 'disabled')),
    version      BIGINT NOT NULL CHECK (version >= 1),
    revision     BIGINT NOT NULL
);

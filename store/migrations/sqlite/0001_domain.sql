-- The domain: exactly one row, holding the revision counter every committed change set bumps.
CREATE TABLE domain (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    origin_url   TEXT    NOT NULL DEFAULT '',
    revision     BIGINT  NOT NULL DEFAULT 0 CHECK (revision >= 0)
);

INSERT INTO domain (id, name, display_name) VALUES (1, 'strata', 'Strata');

CREATE TABLE organizations (
    name         TEXT   PRIMARY KEY,
    short_name   TEXT   NOT NULL UNIQUE,
    display_name TEXT   NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('active', 'disabled')),
    version      BIGINT NOT NULL CHECK (version >= 1),
    revision     BIGINT NOT NULL
);

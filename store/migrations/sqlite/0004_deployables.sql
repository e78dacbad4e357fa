-- Services and applications. Schema and default config are JSON text, checked by the write path.
CREATE TABLE deployables (
    name           TEXT   PRIMARY KEY,
    display_name   TEXT   NOT NULL,
    config_schema  TEXT   NOT NULL,
    default_config TEXT   NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1),
    revision       BIGINT NOT NULL
);

-- Products, the deployables they are made of, deployables on tiers, tenants and config layers.
-- The write path checks every reference first and names the dependents; the foreign keys are
-- the database's own guard behind it.
CREATE TABLE products (
    name         TEXT   PRIMARY KEY,
    organization TEXT   NOT NULL REFERENCES organizations (name),
    display_name TEXT   NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('active', 'disabled')),
    version      BIGINT NOT NULL CHECK (version >= 1),
    revision     BIGINT NOT NULL
);
CREATE INDEX products_by_organization ON products (organization);

CREATE TABLE product_deployables (
    product    TEXT NOT NULL REFERENCES products (name) ON DELETE CASCADE,
    deployable TEXT NOT NULL REFERENCES deployables (name),
    PRIMARY KEY (product, deployable)
);
CREATE INDEX product_deployables_by_deployable ON product_deployables (deployable);

-- Keyed by `TIER/deployable`.
CREATE TABLE tier_deployables (
    id              TEXT   PRIMARY KEY,
    tier            TEXT   NOT NULL REFERENCES tiers (name),
    deployable      TEXT   NOT NULL REFERENCES deployables (name),
    active          BIGINT NOT NULL CHECK (active IN (0, 1)),
    inactive_reason TEXT,
    release         TEXT,
    version         BIGINT NOT NULL CHECK (version >= 1),
    revision        BIGINT NOT NULL,
    UNIQUE (tier, deployable)
);
CREATE INDEX tier_deployables_by_deployable ON tier_deployables (deployable);

CREATE TABLE tenants (
    name                   TEXT   PRIMARY KEY,
    product                TEXT   NOT NULL REFERENCES products (name),
    tier                   TEXT   NOT NULL REFERENCES tiers (name),
    alias                  TEXT   UNIQUE,
    termination_protection BIGINT NOT NULL CHECK (termination_protection IN (0, 1)),
    state                  TEXT   NOT NULL CHECK (state IN ('initializing', 'active', 'disabled', 'uninitializing', 'deleted')),
    version                BIGINT NOT NULL CHECK (version >= 1),
    revision               BIGINT NOT NULL
);
CREATE INDEX tenants_by_product ON tenants (product);
CREATE INDEX tenants_by_tier ON tenants (tier);

-- Keyed by `deployable/kind/name`; exactly the column of its scope is set.
CREATE TABLE config_layers (
    id         TEXT   PRIMARY KEY,
    deployable TEXT   NOT NULL REFERENCES deployables (name),
    scope_kind TEXT   NOT NULL CHECK (scope_kind IN ('tier', 'product', 'tenant')),
    tier       TEXT   REFERENCES tiers (name),
    product    TEXT   REFERENCES products (name),
    tenant     TEXT   REFERENCES tenants (name),
    config     TEXT   NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    revision   BIGINT NOT NULL,
    CHECK ((tier IS NOT NULL) = (scope_kind = 'tier')),
    CHECK ((product IS NOT NULL) = (scope_kind = 'product')),
    CHECK ((tenant IS NOT NULL) = (scope_kind = 'tenant'))
);
CREATE INDEX config_layers_by_deployable ON config_layers (deployable);
CREATE INDEX config_layers_by_tier ON config_layers (tier);
CREATE INDEX config_layers_by_product ON config_layers (product);
CREATE INDEX config_layers_by_tenant ON config_layers (tenant);

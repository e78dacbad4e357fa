-- API tokens for services and automation: a name, the SHA-256 of the secret (the secret is
-- shown once, at creation, and never stored), what the token may do (a JSON scope), when it
-- stops working, and how much it is used. Like users, tokens are not part of the published
-- domain; creating and revoking one goes to the audit log.
CREATE TABLE api_tokens (
    name            TEXT   PRIMARY KEY,
    token_hash      TEXT   NOT NULL UNIQUE,
    scope           TEXT   NOT NULL,
    organization    TEXT   NOT NULL,
    created_by      TEXT   NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT,
    revoked_by      TEXT,
    uses            BIGINT NOT NULL DEFAULT 0,
    last_used_at_ms BIGINT
);
CREATE INDEX api_tokens_by_organization ON api_tokens (organization);

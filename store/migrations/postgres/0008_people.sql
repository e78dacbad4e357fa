-- People who sign in: a name (the actor history records), an argon2id password hash (PHC
-- string), and whether they are a domain admin. Users are not part of the published domain;
-- what happens to them is written to the audit log.
CREATE TABLE users (
    name          TEXT   PRIMARY KEY,
    display_name  TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    domain_admin  BIGINT NOT NULL CHECK (domain_admin IN (0, 1)),
    disabled      BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at_ms BIGINT NOT NULL,
    changed_at_ms BIGINT NOT NULL
);

-- A person's role in one organization.
CREATE TABLE memberships (
    user_name     TEXT   NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    organization  TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('viewer', 'editor', 'publisher', 'admin')),
    granted_at_ms BIGINT NOT NULL,
    granted_by    TEXT   NOT NULL,
    PRIMARY KEY (user_name, organization)
);
CREATE INDEX memberships_by_organization ON memberships (organization);

-- One-time links that let the first admin be created in the browser: only the SHA-256 of the
-- token is kept; a link works once and until it expires.
CREATE TABLE setup_links (
    token_hash    TEXT   PRIMARY KEY,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    used_by       TEXT
);

-- Sign-in attempts, the rate limiter's memory (per account and per address); the audit log
-- records them too.
CREATE TABLE sign_in_attempts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms     BIGINT NOT NULL,
    account   TEXT   NOT NULL,
    address   TEXT   NOT NULL,
    succeeded BIGINT NOT NULL CHECK (succeeded IN (0, 1))
);
CREATE INDEX sign_in_attempts_by_account ON sign_in_attempts (account, at_ms);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (address, at_ms);

-- The audit log also records who signed in, out or failed to, and changes to people and
-- their rights.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_check
    CHECK (action IN ('publish', 'compile', 'restore', 'sign-in', 'sign-in-failed', 'sign-in-refused', 'sign-out', 'setup', 'user-added', 'user-changed', 'member-changed', 'token-created', 'token-revoked', 'secret-revealed'));

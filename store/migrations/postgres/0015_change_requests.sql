-- Approval policies: which changes need whose approval (an entity kind like the others,
-- versioned in `changes`).
CREATE TABLE approval_policies (
    name                      TEXT   PRIMARY KEY,
    display_name              TEXT   NOT NULL,
    tier                      TEXT   NOT NULL REFERENCES tiers (name),
    product                   TEXT   REFERENCES products (name),
    deployable                TEXT   REFERENCES deployables (name),
    approvals                 BIGINT NOT NULL CHECK (approvals BETWEEN 1 AND 5),
    approver_role             TEXT   NOT NULL CHECK (approver_role IN ('editor', 'publisher', 'admin')),
    schema_needs_domain_admin BIGINT NOT NULL,
    state                     TEXT   NOT NULL,
    version                   BIGINT NOT NULL CHECK (version >= 1),
    revision                  BIGINT NOT NULL
);
CREATE INDEX approval_policies_by_tier ON approval_policies (tier, name);

-- Change requests: change sets proposed for review. `writes` is the JSON array of proposed
-- writes, `content_hash` the hash every approval names, `scopes` the JSON array of the
-- organizations whose entities they write ("" for what the domain shares): who may see it;
-- `needs` what it needs approved, as judged when its content last changed.
-- (The id column is the one line in which this file differs between SQLite and PostgreSQL.)
CREATE TABLE change_requests (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            TEXT   NOT NULL,
    description      TEXT   NOT NULL,
    author           TEXT   NOT NULL,
    state            TEXT   NOT NULL CHECK (state IN ('open', 'applied', 'rejected', 'withdrawn')),
    writes           TEXT   NOT NULL,
    content_hash     TEXT   NOT NULL,
    base_revision    BIGINT NOT NULL,
    scopes           TEXT   NOT NULL,
    needs            TEXT   NOT NULL,
    applied_revision BIGINT,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL
);
CREATE INDEX change_requests_by_state ON change_requests (state, id);

-- What happened to each request, in order: its history and its reviews. `actor` acted for
-- `person` (a token for its maker); an approval counts while its content_hash is the request's.
CREATE TABLE change_request_events (
    request      BIGINT NOT NULL REFERENCES change_requests (id),
    seq          BIGINT NOT NULL,
    at_ms        BIGINT NOT NULL,
    actor        TEXT   NOT NULL,
    person       TEXT   NOT NULL,
    event        TEXT   NOT NULL CHECK (event IN ('proposed', 'edited', 'rebased', 'commented',
                            'approved', 'changes_requested', 'rejected', 'withdrawn', 'applied')),
    content_hash TEXT   NOT NULL,
    comment      TEXT   NOT NULL,
    pointer      TEXT,
    reply_to     BIGINT,
    PRIMARY KEY (request, seq)
);

-- The audit log also records every state change of a change request.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_check
    CHECK (action IN ('publish', 'compile', 'restore', 'sign-in', 'sign-in-failed', 'sign-in-refused', 'sign-out', 'setup', 'user-added', 'user-changed', 'member-changed', 'token-created', 'token-revoked', 'secret-revealed', 'change-request'));

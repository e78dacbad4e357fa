-- One row per account and per address that tried to sign in. A sign-in locks its two rows
-- (account first, then address) while it counts recent failures and reserves its own attempt,
-- so parallel attempts on any number of replicas are counted one after another. The row also
-- sums the attempts refused since the last one written to the audit log, which records at
-- most one refusal entry a minute for each.
CREATE TABLE sign_in_guards (
    guard             TEXT   PRIMARY KEY,
    refused           BIGINT NOT NULL DEFAULT 0,
    refused_logged_ms BIGINT NOT NULL DEFAULT 0
);

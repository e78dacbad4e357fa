-- Each entity's first change record: one entry per entity ever made (110,000 at 100,000
-- tenants, against a million records), which History's filter by key reads to find the keys
-- that match before it reads their records.
CREATE INDEX changes_first_versions ON changes (entity_key, entity_kind) WHERE entity_version = 1;

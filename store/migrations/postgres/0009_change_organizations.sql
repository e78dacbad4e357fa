-- Which organization each change record belongs to, so history can be shown to each person
-- only as far as they may read it: '' for what the domain shares (tiers, deployables, tier
-- layers…), an organization's name for its organization, products, tenants and their
-- layers. Filled by the write path; rows written before this column existed are NULL until
-- the store fills them in when it next migrates. Not part of the record's hash: it is derived
-- from the record's images.
ALTER TABLE changes ADD COLUMN organization TEXT;
CREATE INDEX changes_by_organization ON changes (organization, seq);

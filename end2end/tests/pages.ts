// Every page of the console with the demo domain, for the checks that go through them all.
export const PAGES = [
  '/',
  '/tiers', '/tiers/LIVE', '/tiers/LIVE/edit', '/new/tiers',
  '/organizations', '/organizations/acme', '/organizations/acme/members', '/new/organizations',
  '/products', '/products/acme-shop', '/new/products',
  '/deployables', '/deployables/web-api', '/deployables/web-api/edit', '/new/deployables',
  '/tenants', '/tenants/acme-berlin', '/tenants/acme-berlin/edit', '/new/tenants',
  '/configs', '/configs/web-api/tenant/acme-oslo', '/configs/web-api/default',
  '/history', '/publications', '/people', '/tokens',
];

// catalog.test.mjs — the catalog API on a running server over the demo data: an analyst sees
// the tables they may read and, marked, the registered ones they may ask for; details (columns,
// types, profile, freshness) and samples only of readable tables; a grant shows a table at once.
// The demo registers customers and support_tickets as private, the other four public.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, adminAndAnalyst, ADMIN } from './lib/server.mjs';


describe('the catalog API', () => {
  let server;
  let admin;
  let analyst;
  let analystId;
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin, analyst, analystId } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  const get = (token, path) => api(server, 'GET', path, { token });

  test('the list shows readable tables, and private registered ones as requestable', async () => {
    const r = await get(analyst, '/api/catalog/tables');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const read = r.body.tables.filter((t) => t.access === 'read').map((t) => t.id).sort();
    assert.deepEqual(read, ['order_items', 'orders', 'products', 'web_sessions']);
    const ask = r.body.tables.filter((t) => t.access === 'requestable');
    assert.deepEqual(ask.map((t) => t.id).sort(), ['customers', 'support_tickets']);
    for (const t of ask) assert.equal(t.rows, undefined, 'nothing of a private table but its name');
    assert.equal(r.body.count, 4);
    assert.equal(r.body.requestable, 2);
    const orders = r.body.tables.find((t) => t.id === 'orders');
    assert.equal(orders.rows, 10000);
    assert.equal(orders.query_mode, 'local');
    assert.match(orders.extracted_at, /^\d{4}-\d\d-\d\dT/);
    const all = await get(admin, '/api/catalog/tables');
    assert.equal(all.body.count, 6);
    assert.equal((await get(null, '/api/catalog/tables')).status, 401);
  });

  test('details and samples of readable tables only', async () => {
    const d = await get(analyst, '/api/catalog/tables/orders');
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual(d.body.columns[0], { name: 'order_id', type: 'BIGINT', nullable: true });
    assert.ok(d.body.columns.some((c) => c.name === 'total_amount' && c.type === 'DECIMAL(10,2)'));
    assert.ok(d.body.description.length > 20);
    const s = await get(analyst, '/api/catalog/tables/orders/sample?rows=3');
    assert.equal(s.status, 200);
    assert.equal(s.body.row_count, 3);
    assert.equal(s.body.columns[0], 'order_id');
    for (const path of ['/api/catalog/tables/customers', '/api/catalog/tables/customers/sample',
      '/api/catalog/tables/nosuch', '/api/catalog/tables/Orders']) {
      const r = await get(analyst, path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.detail, 'Table not found', 'the same answer for missing and private');
    }
    assert.equal((await get(analyst, '/api/catalog/tables/..%2Fetc')).status, 404);
    assert.equal((await get(analyst, '/api/catalog/tables/orders/sample?rows=1000')).status, 422);
    assert.equal((await get(admin, '/api/catalog/tables/customers/sample?rows=2')).body.row_count, 2);
  });

  test('a grant shows the table at once', async () => {
    const g = await api(server, 'POST', '/api/admin/permissions', {
      token: admin, body: { user_id: analystId, dataset: 'customers' },
    });
    assert.ok(g.status === 200 || g.status === 201, JSON.stringify(g.body));
    const r = await get(analyst, '/api/catalog/tables');
    assert.equal(r.body.count, 5);
    assert.equal((await get(analyst, '/api/catalog/tables/customers')).status, 200);
  });
});

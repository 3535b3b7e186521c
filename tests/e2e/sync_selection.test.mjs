// sync_selection.test.mjs — per-user sync selection on a running server over the demo data:
// hostile and malformed bodies, the same 403 for a private table and for one that does not
// exist, table and bucket switches and their precedence, the manifest's flags (disabled
// tables still listed), the size default (the server runs with a 100 KiB threshold, so only
// the small products table starts enabled), and the original's spellings of the same store.
// The analyst reads order_items, orders, products and web_sessions; customers is private.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, adminAndAnalyst } from './lib/server.mjs';

async function newAnalyst(server, admin, email) {
  const password = 'analyst-password-123';
  const r = await api(server, 'POST', '/api/users', {
    token: admin, body: { email, name: email, role: 'analyst', password },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { token: await login(server, email, password), id: r.body.id };
}

describe('sync selection', () => {
  let server;
  let admin;
  let analyst;
  let analystId;
  const call = (token, method, path, body) => api(server, method, path, { token, body });
  const manifest = async (token) => {
    const r = await call(token, 'GET', '/api/sync/manifest');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.tables;
  };

  before(async () => {
    server = await startServer({
      args: ['--demo'], env: identityEnv({ DA_SYNC_LARGE_TABLE_BYTES: '100KiB' }),
    });
    ({ admin, analyst, analystId } = await adminAndAnalyst(server));
    // orders and order_items in bucket sales; the private customers alone in crm
    for (const [id, bucket] of [['orders', 'sales'], ['order_items', 'sales'], ['customers', 'crm']]) {
      const r = await call(admin, 'PUT', `/api/admin/registry/${id}`, { bucket });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  test('malformed bodies are 400 and change nothing', async () => {
    const bad = [
      [], 'orders', { enabled: true }, { dataset: 'orders' }, { dataset: 'orders', enabled: 'yes' },
      { dataset: 'orders', enabled: 1 }, { dataset: 'orders', enabled: null },
      { dataset: 'orders', bucket: 'sales', enabled: true }, { dataset: '', enabled: true },
      { dataset: 7, enabled: true }, { dataset: ['orders'], enabled: true },
      { dataset: 'orders', enabled: true, user_id: 'someone-else' },
    ];
    for (const body of bad) {
      const r = await call(analyst, 'PUT', '/api/settings/dataset', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(typeof r.body.detail, 'string');
    }
    const notJson = await api(server, 'PUT', '/api/settings/dataset', {
      token: analyst, raw: '{"dataset": "orders", ', headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    for (const [path, body] of [
      ['/api/sync/settings', {}], ['/api/sync/settings', { datasets: ['orders'] }],
      ['/api/sync/settings', { datasets: { orders: 'true' } }],
      ['/api/sync/settings', { datasets: {}, extra: 1 }],
      ['/api/sync/table-subscriptions', { table_mode: 'some' }],
      ['/api/sync/table-subscriptions', { table_mode: 1 }],
      ['/api/sync/table-subscriptions', { tables: { orders: 0 } }],
    ]) {
      const r = await call(analyst, 'POST', path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
    }
    assert.equal((await api(server, 'PUT', '/api/settings/dataset', {
      body: { dataset: 'orders', enabled: true },
    })).status, 401);
    const s = await call(analyst, 'GET', '/api/settings');
    assert.deepEqual(s.body.choices, []);
    assert.equal(s.body.table_mode, 'all');
  });

  test('a private table, a bucket of private tables and a missing name get the same 403', async () => {
    const bodies = [];
    for (const name of ['customers', 'crm', 'nosuch_table']) {
      for (const body of [{ dataset: name, enabled: true }, { bucket: name, enabled: true }]) {
        const r = await call(analyst, 'PUT', '/api/settings/dataset', body);
        assert.equal(r.status, 403, JSON.stringify(body));
        bodies.push(r.body.detail.replace(name, 'X'));
      }
    }
    assert.deepEqual(new Set(bodies), new Set(["No access to dataset 'X'"]));
    // the answers never name what the bucket holds
    const crm = await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'crm', enabled: true });
    assert.ok(!JSON.stringify(crm.body).includes('customers'));
    const s = await call(analyst, 'GET', '/api/settings');
    assert.ok(!JSON.stringify(s.body).includes('customers'));
    assert.ok(!JSON.stringify(s.body).includes('crm'));
    // an admin reads customers, so may switch it
    const a = await call(admin, 'PUT', '/api/settings/dataset', { dataset: 'customers', enabled: true });
    assert.equal(a.status, 200, JSON.stringify(a.body));
  });

  test('the manifest lists every readable table with its state; the default follows size', async () => {
    const m = await manifest(analyst);
    assert.deepEqual(Object.keys(m).sort(), ['order_items', 'orders', 'products', 'web_sessions']);
    assert.ok(m.products.size_bytes <= 100 * 1024 && m.orders.size_bytes > 100 * 1024);
    for (const [id, t] of Object.entries(m)) {
      assert.equal(t.enabled, id === 'products', id);
      assert.equal(t.enabled_by, 'default', id);
      assert.equal('package' in t, false);
      assert.equal(t.files.length, 1, id); // a disabled table is still described in full
    }
    assert.equal(m.orders.bucket, 'sales');
    assert.equal(m.products.bucket, 'demo');
  });

  test('table and bucket switches, and which wins', async () => {
    let r = await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'orders', enabled: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      dataset: 'orders', kind: 'table', enabled: true,
      tables: [{ table: 'orders', enabled: true, enabled_by: 'table' }],
    });
    assert.equal((await manifest(analyst)).orders.enabled, true);
    // a bucket named as dataset switches all its tables, clearing their table switches
    r = await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'sales', enabled: false });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'bucket');
    assert.deepEqual(r.body.tables, [
      { table: 'order_items', enabled: false, enabled_by: 'bucket' },
      { table: 'orders', enabled: false, enabled_by: 'bucket' },
    ]);
    r = await call(analyst, 'PUT', '/api/settings/dataset', { bucket: 'sales', enabled: true });
    assert.equal(r.status, 200);
    let m = await manifest(analyst);
    assert.equal(m.orders.enabled, true);
    assert.equal(m.orders.enabled_by, 'bucket');
    assert.equal(m.web_sessions.enabled, false); // in demo, not sales
    // a table switch beats the bucket's
    r = await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'order_items', enabled: false });
    assert.equal(r.status, 200);
    m = await manifest(analyst);
    assert.deepEqual([m.order_items.enabled, m.order_items.enabled_by], [false, 'table']);
    assert.deepEqual([m.orders.enabled, m.orders.enabled_by], [true, 'bucket']);
    // GET /api/settings: one row per readable table, sorted, and the switches
    const s = await call(analyst, 'GET', '/api/settings');
    assert.equal(s.status, 200);
    assert.equal(s.body.user_id, analystId);
    assert.deepEqual(s.body.sync_settings.map((x) => x.table),
      ['order_items', 'orders', 'products', 'web_sessions']);
    const orders = s.body.sync_settings.find((x) => x.table === 'orders');
    assert.equal(orders.dataset, 'orders');
    assert.equal(orders.bucket, 'sales');
    assert.equal(orders.rows, 10000);
    assert.equal(orders.size_bytes, m.orders.size_bytes);
    assert.deepEqual(s.body.choices.map((c) => [c.kind, c.dataset, c.enabled]),
      [['bucket', 'sales', true], ['table', 'order_items', false]]);
    assert.deepEqual(s.body.permissions.map((p) => p.dataset),
      ['order_items', 'orders', 'products', 'web_sessions']);
    assert.ok(s.body.permissions.every((p) => p.user_id === analystId && p.access === 'read'));
    assert.deepEqual(s.body.packages, []);
    // the switches are audited
    const audit = await call(admin, 'GET', '/api/admin/audit?action=sync.switch&limit=100');
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const rows = audit.body.entries;
    assert.ok(rows.some((e) => e.target === 'customers' && e.result === 'denied'));
    assert.ok(rows.some((e) => e.target === 'sales' && e.result === 'ok' && e.detail === 'bucket enabled'));
  });

  test('the original spellings share the store', async () => {
    const bo = await newAnalyst(server, admin, 'bo@example.com');
    let r = await call(bo.token, 'POST', '/api/sync/settings', {
      datasets: { orders: true, customers: true, nosuch: false },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      updated: {
        orders: { enabled: true }, customers: { error: 'no permission' }, nosuch: { error: 'no permission' },
      },
    });
    r = await call(bo.token, 'GET', '/api/sync/settings');
    assert.equal(r.status, 200);
    assert.equal(r.body.user_id, bo.id);
    assert.equal(r.body.settings.length, 1);
    const row = r.body.settings[0];
    assert.deepEqual([row.user_id, row.dataset, row.enabled, row.table_mode, row.tables],
      [bo.id, 'orders', true, 'all', null]);
    assert.match(row.updated_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(r.body.enabled_datasets.sort(), ['orders', 'products']);
    assert.equal((await manifest(bo.token)).orders.enabled_by, 'table');
    // explicit mode: a table first seen from now on is off; tables switches stored
    r = await call(bo.token, 'POST', '/api/sync/table-subscriptions', {
      table_mode: 'explicit', tables: { web_sessions: true, customers: true },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { table_mode: 'explicit', updated: 1, errors: { customers: 'no permission' } });
    r = await call(bo.token, 'GET', '/api/sync/table-subscriptions');
    assert.equal(r.body.table_mode, 'explicit');
    assert.deepEqual(r.body.subscriptions.map((x) => [x.dataset, x.enabled]),
      [['orders', true], ['web_sessions', true]]);
    // defaults recorded at first sight stay: products stays on in explicit mode
    assert.equal((await manifest(bo.token)).products.enabled, true);
    // a bucket through the original's datasets form
    r = await call(bo.token, 'POST', '/api/sync/settings', { datasets: { sales: false } });
    assert.deepEqual(r.body.updated, { sales: { enabled: false } });
    const m = await manifest(bo.token);
    assert.deepEqual([m.orders.enabled, m.orders.enabled_by], [false, 'bucket']);
    // table-subscriptions takes table ids only; table_mode defaults to "all"
    r = await call(bo.token, 'POST', '/api/sync/table-subscriptions', { tables: { sales: true } });
    assert.deepEqual(r.body, { table_mode: 'all', updated: 0, errors: { sales: 'no permission' } });
    // a new user in explicit mode from the start sees nothing enabled
    const cy = await newAnalyst(server, admin, 'cy@example.com');
    r = await call(cy.token, 'POST', '/api/sync/table-subscriptions', { table_mode: 'explicit' });
    assert.equal(r.status, 200);
    const cm = await manifest(cy.token);
    assert.ok(Object.values(cm).every((t) => t.enabled === false && t.enabled_by === 'default'));
  });
});

// sync_selection.test.mjs — per-user sync selection on a running server over the demo data:
// hostile and malformed bodies, the same 403 for a private table and for one that does not
// exist, table and bucket switches and their precedence, the manifest's flags (disabled
// tables still listed), the size default (the server runs with a 100 KiB threshold, so only
// the small products table starts enabled), and the original's spellings of the same store.
// The analyst reads order_items, orders, products and web_sessions; customers is private.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startServer, api, login, identityEnv, adminAndAnalyst, runDa, tempDir, removeDir, ADMIN,
} from './lib/server.mjs';

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

describe('packages', () => {
  let server;
  let admin;
  let analyst;
  const call = (token, method, path, body) => api(server, method, path, { token, body });
  const manifest = async (token) => (await call(token, 'GET', '/api/sync/manifest')).body.tables;

  before(async () => {
    server = await startServer({
      args: ['--demo'], env: identityEnv({ DA_SYNC_LARGE_TABLE_BYTES: '100KiB' }),
    });
    ({ admin, analyst } = await adminAndAnalyst(server));
    for (const [id, bucket] of [['orders', 'sales'], ['order_items', 'sales'], ['customers', 'crm']]) {
      assert.equal((await call(admin, 'PUT', `/api/admin/registry/${id}`, { bucket })).status, 200);
    }
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  test('only admins define packages; hostile names and bodies are refused', async () => {
    const good = { name: 'sales_pack', tables: ['products'], buckets: ['sales'] };
    assert.equal((await call(analyst, 'POST', '/api/packages', good)).status, 403);
    assert.equal((await call(analyst, 'PUT', '/api/packages/sales_pack', { description: 'x' })).status, 403);
    assert.equal((await call(analyst, 'DELETE', '/api/packages/sales_pack')).status, 403);
    assert.equal((await call(undefined, 'GET', '/api/packages')).status, 401);
    for (const body of [
      { name: 'Sales' }, { name: '1sales' }, { name: 'a b' }, { name: '../etc' }, { name: '' },
      { name: 'a'.repeat(65) }, { name: 'x\u0000y' }, { name: 7 }, {}, { description: 'no name' },
      { name: 'p', tables: 'orders' }, { name: 'p', tables: [1] }, { name: 'p', tables: [''] },
      { name: 'p', buckets: [null] }, { name: 'p', owner: 'me' }, { name: 'p', description: 5 },
      { name: 'p', tables: ['x'.repeat(200)] },
    ]) {
      const r = await call(admin, 'POST', '/api/packages', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal((await call(admin, 'POST', '/api/packages', ['sales_pack'])).status, 400);
    for (const body of [
      { name: 'p', tables: ['nosuch'] }, { name: 'p', tables: ['Orders'] },
      { name: 'p', tables: ['orders; drop table users'] }, { name: 'p', buckets: ['nobucket'] },
    ]) {
      const r = await call(admin, 'POST', '/api/packages', body);
      assert.equal(r.status, 422, JSON.stringify(body));
    }
    assert.deepEqual((await call(admin, 'GET', '/api/packages')).body, { packages: [] });
  });

  test('create, read as admin and as analyst (no private names), update, conflict', async () => {
    let r = await call(admin, 'POST', '/api/packages', {
      name: 'sales_pack', description: 'Sales', tables: ['products', 'customers'], buckets: ['sales'],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.name, 'sales_pack');
    assert.deepEqual(r.body.definition, { tables: ['customers', 'products'], buckets: ['sales'] });
    assert.deepEqual(r.body.tables, ['customers', 'order_items', 'orders', 'products']);
    assert.equal(r.body.subscribers, 0);
    assert.equal((await call(admin, 'POST', '/api/packages', { name: 'sales_pack' })).status, 409);
    r = await call(admin, 'POST', '/api/packages', { name: 'private-pack', buckets: ['crm'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));

    r = await call(analyst, 'GET', '/api/packages');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.packages.map((p) => p.name), ['private-pack', 'sales_pack']);
    const sales = r.body.packages[1];
    assert.deepEqual(sales.tables, ['order_items', 'orders', 'products']);
    const m = await manifest(analyst);
    assert.equal(sales.size_bytes, m.order_items.size_bytes + m.orders.size_bytes + m.products.size_bytes);
    assert.equal(sales.subscribed, false);
    assert.deepEqual(r.body.packages[0].tables, []);
    const text = JSON.stringify(r.body);
    assert.ok(!text.includes('customers') && !text.includes('crm'), text);
    assert.ok(!('definition' in sales) && !('subscribers' in sales));
    r = await call(analyst, 'GET', '/api/packages/sales_pack');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.tables, ['order_items', 'orders', 'products']);
    r = await call(analyst, 'GET', '/api/packages/nosuch');
    assert.deepEqual([r.status, r.body.detail], [404, 'Package not found']);

    r = await call(admin, 'PUT', '/api/packages/sales_pack', { description: 'Sales data', tables: ['products'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.description, 'Sales data');
    assert.deepEqual(r.body.definition, { tables: ['products'], buckets: ['sales'] });
    assert.equal((await call(admin, 'PUT', '/api/packages/nosuch', { description: 'x' })).status, 404);
    assert.equal((await call(admin, 'PUT', '/api/packages/sales_pack', { name: 'other' })).status, 400);
    assert.equal((await call(admin, 'PUT', '/api/packages/sales_pack', { tables: ['nosuch'] })).status, 422);
  });

  test('subscribing enables what the user may read of it; unsubscribing falls back', async () => {
    let m = await manifest(analyst);
    assert.equal(m.orders.enabled, false); // above the size threshold
    let r = await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'order_items', enabled: false });
    assert.equal(r.status, 200);
    r = await call(analyst, 'POST', '/api/packages/sales_pack/subscribe');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      package: 'sales_pack', subscribed: true, tables: [
        { table: 'order_items', enabled: true, enabled_by: 'package', package: 'sales_pack' },
        { table: 'orders', enabled: true, enabled_by: 'package', package: 'sales_pack' },
        { table: 'products', enabled: true, enabled_by: 'package', package: 'sales_pack' },
      ],
    });
    m = await manifest(analyst);
    assert.deepEqual([m.orders.enabled, m.orders.enabled_by, m.orders.package], [true, 'package', 'sales_pack']);
    assert.equal(m.web_sessions.enabled, false);
    assert.ok(!('customers' in m));
    // subscribing to a package of private tables enables nothing the user cannot read
    r = await call(analyst, 'POST', '/api/packages/private-pack/subscribe');
    assert.deepEqual(r.body, { package: 'private-pack', subscribed: true, tables: [] });
    assert.ok(!('customers' in (await manifest(analyst))));
    r = await call(analyst, 'GET', '/api/settings');
    assert.deepEqual(r.body.packages, ['private-pack', 'sales_pack']);
    r = await call(admin, 'GET', '/api/packages/sales_pack');
    assert.equal(r.body.subscribers, 1);
    // a table switch after subscribing wins over the package
    await call(analyst, 'PUT', '/api/settings/dataset', { dataset: 'products', enabled: false });
    assert.equal((await manifest(analyst)).products.enabled_by, 'table');
    r = await call(analyst, 'DELETE', '/api/packages/sales_pack/subscribe');
    assert.equal(r.status, 200);
    assert.equal(r.body.subscribed, false);
    m = await manifest(analyst);
    assert.deepEqual([m.orders.enabled, m.orders.enabled_by], [false, 'default']);
    assert.deepEqual([m.products.enabled, m.products.enabled_by], [false, 'table']);
    assert.equal((await call(analyst, 'POST', '/api/packages/nosuch/subscribe')).status, 404);
    // deleting a package takes its subscriptions with it
    await call(analyst, 'POST', '/api/packages/sales_pack/subscribe');
    assert.equal((await call(admin, 'DELETE', '/api/packages/sales_pack')).status, 204);
    assert.equal((await call(admin, 'DELETE', '/api/packages/sales_pack')).status, 404);
    r = await call(analyst, 'GET', '/api/settings');
    assert.deepEqual(r.body.packages, ['private-pack']);
    assert.equal((await manifest(analyst)).orders.enabled_by, 'default');
    const audit = await call(admin, 'GET', '/api/admin/audit?limit=1000');
    const actions = audit.body.entries.map((e) => `${e.action} ${e.target}`);
    for (const a of ['package.create sales_pack', 'package.update sales_pack', 'package.subscribe sales_pack',
      'package.unsubscribe sales_pack', 'package.delete sales_pack']) {
      assert.ok(actions.includes(a), a);
    }
  });
});

describe('da admin packages', () => {
  let server;
  let admin;
  let home;
  let analystHome;
  const da = (args, env = home.env) => runDa(args, { env });

  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin } = await adminAndAnalyst(server));
    home = { dir: tempDir('da-pkg-admin-') };
    analystHome = { dir: tempDir('da-pkg-analyst-') };
    for (const [h, email, password] of [[home, ADMIN.email, ADMIN.password],
      [analystHome, 'ana@example.com', 'analyst-password-123']]) {
      h.env = { HOME: h.dir, XDG_CONFIG_HOME: join(h.dir, 'cfg') };
      const r = runDa(['login', '--server', server.url, '--email', email, '--password-stdin'],
        { env: h.env, input: `${password}\n` });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    removeDir(home.dir);
    removeDir(analystHome.dir);
    assert.equal((await server.stop()).code, 0);
  });

  test('create, list, update, delete; analysts are refused; bad names are the server\'s 400', async () => {
    let r = da(['admin', 'packages', 'create', 'starter', '--description', 'First steps',
      '--table', 'orders', '--table=products', '--bucket', 'demo']);
    assert.equal(r.code, 0, r.stderr);
    let p = (await api(server, 'GET', '/api/packages/starter', { token: admin })).body;
    assert.deepEqual(p.definition, { tables: ['orders', 'products'], buckets: ['demo'] });
    assert.equal(p.description, 'First steps');
    r = da(['admin', 'packages', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'starter\t0\torders,products\tdemo\tFirst steps\n');
    r = da(['admin', 'packages', 'list', '--json']);
    assert.equal(JSON.parse(r.stdout).packages[0].name, 'starter');
    r = da(['admin', 'packages', 'update', 'starter', '--table', 'customers']);
    assert.equal(r.code, 0, r.stderr);
    p = (await api(server, 'GET', '/api/packages/starter', { token: admin })).body;
    assert.deepEqual(p.definition, { tables: ['customers'], buckets: ['demo'] });
    assert.equal(p.description, 'First steps');
    r = da(['admin', 'packages', 'update', 'starter']);
    assert.equal(r.code, 2); // nothing to change: a usage error, nothing sent
    r = da(['admin', 'packages', 'create', 'Bad Name']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /name must match/);
    r = da(['admin', 'packages', 'create', 'p2', '--table', 'nosuch']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nosuch/);
    r = da(['admin', 'packages', 'create', 'starter']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already exists/);
    r = da(['admin', 'packages', 'create', 'mine'], analystHome.env);
    assert.equal(r.code, 4, r.stderr);
    r = da(['admin', 'packages', 'delete', 'starter']);
    assert.equal(r.code, 2); // no terminal to ask on, no --yes
    r = da(['admin', 'packages', 'delete', 'starter', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await api(server, 'GET', '/api/packages/starter', { token: admin })).status, 404);
    r = da(['admin', 'packages', 'delete', 'starter', '--yes']);
    assert.notEqual(r.code, 0);
    for (const action of ['list', 'create', 'update', 'delete']) {
      r = da(['admin', 'packages', action, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: da admin packages ${action}`));
    }
  });
});

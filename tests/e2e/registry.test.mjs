// registry.test.mjs — the table registry admin API on a running server: registration under
// one canonical id (and a grant on that id giving read access), validation, reading, updates
// that clear fields, deletion that takes the table's grants and pending requests with it,
// admin-only access and the audit trail. Read access is observed through access requests:
// a user who can already read a table gets 409 "You can already read this table".
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, ADMIN } from './lib/server.mjs';

const PASSWORD = 'analyst-password-123';
const ROW_KEYS = ['bucket', 'description', 'folder', 'id', 'is_public', 'name', 'primary_key',
  'profile_after_sync', 'query_mode', 'registered_at', 'registered_by', 'source_table',
  'source_type', 'sync_schedule', 'sync_strategy', 'updated_at'];

describe('table registry on a running server', () => {
  let server;
  let admin; // { token, id }
  let analyst; // { id, email, token }
  let requester; // files a request that the deletion must take away
  before(async () => {
    server = await startServer({ env: identityEnv() });
    const r = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: ADMIN.password } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    admin = { token: r.body.access_token, id: r.body.user_id };
    analyst = await newUser('reg-analyst');
    requester = await newUser('reg-requester');
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  async function newUser(name) {
    const email = `${name}@example.com`;
    const r = await api(server, 'POST', '/api/users', {
      token: admin.token, body: { email, name, role: 'analyst', password: PASSWORD },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.id, email, token: await login(server, email, PASSWORD) };
  }

  const asAdmin = (method, path, body) => api(server, method, path, { token: admin.token, body });
  const register = (body) => asAdmin('POST', '/api/admin/register-table', body);
  const requestAccess = (user, table_id) =>
    api(server, 'POST', '/api/access-requests', { token: user.token, body: { table_id } });

  function expectError(res, status, detail) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    if (detail instanceof RegExp) assert.match(res.body.detail, detail);
    else if (detail !== undefined) assert.equal(res.body.detail, detail);
  }

  async function row(id) {
    const r = await asAdmin('GET', `/api/admin/registry/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function tableCount() {
    const r = await asAdmin('GET', '/api/admin/registry');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.count;
  }

  test('admin only: an analyst gets 403 and anyone anonymous 401', async () => {
    const surfaces = [
      ['POST', '/api/admin/register-table', { name: 'Sneaky' }],
      ['GET', '/api/admin/registry'],
      ['GET', '/api/admin/registry/sneaky'],
      ['PUT', '/api/admin/registry/sneaky', { is_public: true }],
      ['DELETE', '/api/admin/registry/sneaky'],
    ];
    for (const [method, path, body] of surfaces) {
      const forbidden = await api(server, method, path, { token: analyst.token, body });
      assert.equal(forbidden.status, 403, `${method} ${path} as analyst`);
      const anonymous = await api(server, method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path} anonymous`);
    }
    assert.equal(await tableCount(), 0, 'the refused registration wrote nothing');
  });

  test('a name with capitals and spaces gives one canonical id, and a grant on it gives read access', async () => {
    const r = await register({
      name: 'Customer Orders', folder: 'sales', primary_key: ['order_id', ' line '],
      sync_schedule: 'daily 03:00,15:30', description: 'Orders by customer', bucket: 'shop',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'customer_orders', name: 'Customer Orders', status: 'registered' });

    const t = await row('customer_orders');
    assert.deepEqual(Object.keys(t).sort(), ROW_KEYS);
    assert.equal(t.id, 'customer_orders');
    assert.equal(t.name, 'Customer Orders');
    assert.equal(t.folder, 'sales');
    assert.equal(t.primary_key, 'order_id,line');
    assert.equal(t.sync_schedule, 'daily 03:00,15:30');
    assert.equal(t.sync_strategy, 'full_refresh');
    assert.equal(t.query_mode, 'local');
    assert.equal(t.profile_after_sync, true);
    assert.equal(t.is_public, false);
    assert.equal(t.registered_by, ADMIN.email);
    assert.match(t.registered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(t.updated_at, null);
    assert.equal(t.source_type, null);
    assert.equal(t.source_table, null);

    // private: no access until granted; the grant on the canonical id gives it
    const before = await requestAccess(requester, 'customer_orders');
    assert.equal(before.status, 201, JSON.stringify(before.body));
    const grant = await asAdmin('POST', '/api/admin/permissions', { user_id: analyst.id, dataset: 'customer_orders' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    expectError(await requestAccess(analyst, 'customer_orders'), 409, 'You can already read this table');
  });

  test('a duplicate is 409, however the name is spelled', async () => {
    for (const body of [{ name: 'Customer Orders' }, { name: 'customer-orders' }, { name: ' CUSTOMER ORDERS ' },
      { name: 'Something else', id: 'customer_orders' }]) {
      expectError(await register(body), 409, "Table 'customer_orders' already registered");
    }
    assert.equal((await row('customer_orders')).name, 'Customer Orders');
  });

  test('invalid names, ids and fields are 422 with a message naming the problem', async () => {
    const count = await tableCount();
    for (const name of ['x; DROP TABLE y', '../etc', '9lives', 'a'.repeat(65), 'naïve']) {
      expectError(await register({ name }), 422, /^table name '.*' does not give a valid table id/);
    }
    expectError(await register({ name: 'n'.repeat(200) }), 422, 'name: at most 128 bytes');
    for (const body of [{ name: '' }, { name: '   ' }, {}, { name: null }]) {
      expectError(await register(body), 422, 'Table name cannot be empty');
    }
    for (const id of ['Bad', 'a-b', '9x', '../etc', '', 'x'.repeat(65)]) {
      expectError(await register({ name: 'Fine', id }), 422, /^id '.*' is not a valid table id/);
    }
    const cases = [
      [{ name: 'Fine', id: 7 }, /^id must be a string/],
      [{ name: 'Fine', extra: 1 }, /invalid request body/],
      [{ name: 7 }, /^name must be a string/],
      [{ name: 'Fine', sync_strategy: 'weekly' }, /^sync_strategy: must be full_refresh, incremental or append/],
      [{ name: 'Fine', sync_strategy: null }, /^sync_strategy cannot be null/],
      [{ name: 'Fine', query_mode: 'hybrid' }, /^query_mode: must be local or remote/],
      [{ name: 'Fine', sync_schedule: 'every 0m' }, /^sync_schedule: 'every 0m' is not a schedule/],
      [{ name: 'Fine', sync_schedule: 'daily 24:00' }, /^sync_schedule/],
      [{ name: 'Fine', sync_schedule: 'every 10081h' }, /^sync_schedule/],
      [{ name: 'Fine', primary_key: [1] }, /^primary_key must be a string or an array of strings/],
      [{ name: 'Fine', primary_key: 'a,,b' }, /^primary_key: a column name is empty/],
      [{ name: 'Fine', primary_key: ['a', ' '] }, /^primary_key: a column name is empty/],
      [{ name: 'Fine', primary_key: 'k'.repeat(129) }, /^primary_key: at most 128 bytes/],
      [{ name: 'Fine', primary_key: 42 }, /^primary_key/],
      [{ name: 'Fine', is_public: 'yes' }, /^is_public must be true or false/],
      [{ name: 'Fine', profile_after_sync: 1 }, /^profile_after_sync must be true or false/],
      [{ name: 'Fine', folder: 'a\nb' }, /^folder: no control characters/],
      [{ name: 'Fine\u0001' }, /^name: no control characters/],
      [{ name: 'Fine', description: 'bell\u0007' }, /^description: no control characters but newline and tab/],
      [{ name: 'Fine', bucket: 'b'.repeat(129) }, /^bucket: at most 128 bytes/],
      [{ name: 'Fine', description: 'd'.repeat(4097) }, /^description: at most 4096 bytes/],
    ];
    for (const [body, detail] of cases) expectError(await register(body), 422, detail);
    expectError(await api(server, 'POST', '/api/admin/register-table', { token: admin.token, raw: '[1]',
      headers: { 'Content-Type': 'application/json' } }), 422);
    assert.equal(await tableCount(), count, 'no refused registration was written');

    // the longest description, on several lines (newline and tab are the control characters
    // a description may hold)
    const text = `${'d'.repeat(2000)}\n\t${'e'.repeat(2094)}`;
    const long = await register({ name: 'Long Description', description: text });
    assert.equal(long.status, 201, JSON.stringify(long.body));
    assert.equal((await row('long_description')).description, text);
  });

  test('an explicit id, every field set, and a public table readable without a grant', async () => {
    const r = await register({
      name: 'Web Events (raw)', id: 'web_events', is_public: true, primary_key: 'id, ts',
      sync_strategy: 'append', query_mode: 'remote', profile_after_sync: false,
      source_type: 'keboola', source_table: 'in.c-web.events', sync_schedule: 'every 15m',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'web_events', name: 'Web Events (raw)', status: 'registered' });
    const t = await row('web_events');
    assert.equal(t.primary_key, 'id,ts');
    assert.equal(t.sync_strategy, 'append');
    assert.equal(t.query_mode, 'remote');
    assert.equal(t.profile_after_sync, false);
    assert.equal(t.is_public, true);
    assert.equal(t.source_type, 'keboola');
    assert.equal(t.source_table, 'in.c-web.events');
    assert.equal(t.sync_schedule, 'every 15m');
    expectError(await requestAccess(analyst, 'web_events'), 409, 'You can already read this table');
  });

  test('the list is ordered by name, then id, with a count', async () => {
    const r = await asAdmin('GET', '/api/admin/registry');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['count', 'tables']);
    assert.equal(r.body.count, r.body.tables.length);
    assert.deepEqual(r.body.tables.map((t) => t.id), ['customer_orders', 'long_description', 'web_events']);
    for (const t of r.body.tables) assert.deepEqual(Object.keys(t).sort(), ROW_KEYS);
    for (const path of ['/api/admin/registry/nope', '/api/admin/registry/Customer_Orders',
      '/api/admin/registry/customer%20orders', '/api/admin/registry/drop%3Btable']) {
      expectError(await asAdmin('GET', path), 404, 'Table not found');
    }
    expectError(await asAdmin('GET', '/api/admin/registry/..%2Fetc'), 404); // the router's own 404
  });

  test('PUT changes and clears fields, keeps registered_at and registered_by, and sets updated_at', async () => {
    const before = await row('customer_orders');
    const r = await asAdmin('PUT', '/api/admin/registry/customer_orders', {
      folder: null, sync_schedule: null, description: 'Orders, one row per line', primary_key: ['order_id'],
      sync_strategy: 'incremental', name: 'Customer Orders v2',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      id: 'customer_orders',
      updated: ['description', 'folder', 'name', 'primary_key', 'sync_schedule', 'sync_strategy'],
    });
    const t = await row('customer_orders');
    assert.equal(t.folder, null);
    assert.equal(t.sync_schedule, null);
    assert.equal(t.description, 'Orders, one row per line');
    assert.equal(t.primary_key, 'order_id');
    assert.equal(t.sync_strategy, 'incremental');
    assert.equal(t.name, 'Customer Orders v2');
    assert.equal(t.id, 'customer_orders', 'a new name keeps the id');
    assert.equal(t.bucket, 'shop', 'fields not given stay');
    assert.equal(t.registered_at, before.registered_at);
    assert.equal(t.registered_by, before.registered_by);
    assert.match(t.updated_at, /^\d{4}-\d\d-\d\dT/);

    const cases = [
      [{ name: null }, /^name cannot be null/],
      [{ query_mode: null }, /^query_mode cannot be null/],
      [{ is_public: null }, /^is_public cannot be null/],
      [{ profile_after_sync: null }, /^profile_after_sync cannot be null/],
      [{ name: ' ' }, 'Table name cannot be empty'],
      [{ id: 'other' }, /^id cannot be changed/],
      [{ unknown: 1 }, /invalid request body/],
      [{ sync_schedule: 'every day' }, /^sync_schedule/],
    ];
    for (const [body, detail] of cases) {
      expectError(await asAdmin('PUT', '/api/admin/registry/customer_orders', body), 422, detail);
    }
    // an array is not an object (422); a bare scalar is not a JSON text the server parses (400)
    for (const [raw, status] of [['[]', 422], ['[{"folder": "x"}]', 422], ['"x"', 400], ['3', 400]]) {
      expectError(await api(server, 'PUT', '/api/admin/registry/customer_orders', { token: admin.token, raw,
        headers: { 'Content-Type': 'application/json' } }), status);
    }
    assert.deepEqual(await row('customer_orders'), t, 'refused updates changed nothing');
    expectError(await asAdmin('PUT', '/api/admin/registry/nope', { folder: 'x' }), 404, 'Table not found');
    expectError(await asAdmin('PUT', '/api/admin/registry/Customer_Orders', { folder: 'x' }), 404, 'Table not found');
    const nothing = await asAdmin('PUT', '/api/admin/registry/customer_orders', {});
    assert.equal(nothing.status, 200, JSON.stringify(nothing.body));
    assert.deepEqual(nothing.body, { id: 'customer_orders', updated: [] });
    expectError(await asAdmin('PUT', '/api/admin/registry/nope', {}), 404, 'Table not found');
  });

  test('DELETE is 204 and takes the grants and pending requests of the table with it', async () => {
    const pendingBefore = (await asAdmin('GET', '/api/access-requests/pending')).body.requests;
    assert.ok(pendingBefore.some((q) => q.table_id === 'customer_orders' && q.user_id === requester.id));

    const r = await asAdmin('DELETE', '/api/admin/registry/customer_orders');
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal(r.body, null);
    expectError(await asAdmin('GET', '/api/admin/registry/customer_orders'), 404, 'Table not found');
    expectError(await asAdmin('DELETE', '/api/admin/registry/customer_orders'), 404, 'Table not found');
    expectError(await asAdmin('DELETE', '/api/admin/registry/Not_An_Id'), 404, 'Table not found');

    const perms = await asAdmin('GET', `/api/admin/permissions/${analyst.id}`);
    assert.equal(perms.status, 200, JSON.stringify(perms.body));
    assert.deepEqual(perms.body.permissions, [], 'the grant on the table is gone');
    const pendingAfter = (await asAdmin('GET', '/api/access-requests/pending')).body.requests;
    assert.ok(!pendingAfter.some((q) => q.table_id === 'customer_orders'), 'the pending request is gone');
    expectError(await requestAccess(analyst, 'customer_orders'), 404, "Table 'customer_orders' not found");

    // registered again under the same id, the table starts without the old grant
    assert.equal((await register({ name: 'Customer Orders' })).status, 201);
    const again = await requestAccess(analyst, 'customer_orders');
    assert.equal(again.status, 201, 'the analyst lost read access with the deletion');
    assert.deepEqual((await asAdmin('GET', '/api/admin/registry')).body.tables.map((t) => t.id),
      ['customer_orders', 'long_description', 'web_events']);
  });

  test('every change is in the audit log with the admin as actor and the id as target', async () => {
    const expected = {
      'table.register': ['customer_orders', 'long_description', 'web_events'],
      'table.update': ['customer_orders'],
      'table.delete': ['customer_orders'],
    };
    for (const [action, targets] of Object.entries(expected)) {
      const r = await asAdmin('GET', `/api/admin/audit?action=${action}&limit=1000`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const e of r.body.entries) {
        assert.equal(e.result, 'ok');
        assert.equal(e.actor_id, admin.id);
        assert.equal(e.actor_email, ADMIN.email);
      }
      assert.deepEqual([...new Set(r.body.entries.map((e) => e.target))].sort(), targets, action);
    }
    const updates = (await asAdmin('GET', '/api/admin/audit?action=table.update&limit=1000')).body.entries;
    assert.equal(updates.length, 1, 'refused updates and an empty one left no record');
    assert.equal(updates[0].detail, 'description,folder,name,primary_key,sync_schedule,sync_strategy');
    const registers = (await asAdmin('GET', '/api/admin/audit?action=table.register&limit=1000')).body.entries;
    assert.equal(registers.filter((e) => e.target === 'customer_orders').length, 2, 'one per registration');
    const deletes = (await asAdmin('GET', '/api/admin/audit?action=table.delete&limit=1000')).body.entries;
    assert.equal(deletes.length, 1, 'a deletion of nothing left no record');
  });

  test('sync_strategy incremental needs a primary_key, on registration and on update', async () => {
    const count = await tableCount();
    const need = 'sync_strategy incremental needs a primary_key';
    expectError(await register({ name: 'Events', sync_strategy: 'incremental' }), 422, need);
    expectError(await register({ name: 'Events', sync_strategy: 'incremental', primary_key: null }), 422, need);
    expectError(await register({ name: 'Events', sync_strategy: 'incremental', primary_key: [] }), 422, need);
    assert.equal(await tableCount(), count, 'the refused registration wrote nothing');

    const ok = await register({ name: 'Events', sync_strategy: 'incremental', primary_key: 'event_id' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const plain = await register({ name: 'Snapshots' });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));

    // an update is judged on the row it would leave: clearing the key of an incremental
    // table, or making a table without one incremental, is refused and changes nothing
    expectError(await asAdmin('PUT', '/api/admin/registry/events', { primary_key: null }), 422, need);
    expectError(await asAdmin('PUT', '/api/admin/registry/events', { primary_key: '' }), 422, need);
    expectError(await asAdmin('PUT', '/api/admin/registry/snapshots', { sync_strategy: 'incremental' }), 422, need);
    assert.equal((await row('events')).primary_key, 'event_id');
    assert.equal((await row('snapshots')).sync_strategy, 'full_refresh');
    expectError(await asAdmin('PUT', '/api/admin/registry/nothing_here', { sync_strategy: 'incremental' }), 404,
      'Table not found');

    // given together, or leaving incremental first, both go through
    const both = await asAdmin('PUT', '/api/admin/registry/snapshots', { sync_strategy: 'incremental', primary_key: 'id' });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    const away = await asAdmin('PUT', '/api/admin/registry/events', { sync_strategy: 'append', primary_key: null });
    assert.equal(away.status, 200, JSON.stringify(away.body));
    assert.equal((await row('events')).primary_key, null);
  });
});

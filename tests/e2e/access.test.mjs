// access.test.mjs — data permissions on a running server: admin-only surfaces, grant
// validation, user, group and bucket grants, access requests from filing to approval or denial,
// and the audit log viewer with its filters and paging. The demo tables are registered with
// customers and support_tickets private and the other four public, all in bucket "demo".
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, ADMIN } from './lib/server.mjs';

const PASSWORD = 'analyst-password-123';

describe('data permissions on a running server', () => {
  let server;
  let admin; // { token, id }
  let analyst; // a plain analyst the refusals use
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    const r = await api(server, 'POST', '/auth/token', { body: { email: ADMIN.email, password: ADMIN.password } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    admin = { token: r.body.access_token, id: r.body.user_id };
    analyst = await newUser('refused');
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  // A new analyst with a password, signed in: { id, email, token }.
  async function newUser(name, role = 'analyst') {
    const email = `${name}@example.com`;
    const r = await api(server, 'POST', '/api/users', {
      token: admin.token, body: { email, name, role, password: PASSWORD },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.id, email, token: await login(server, email, PASSWORD) };
  }

  const asAdmin = (method, path, body) => api(server, method, path, { token: admin.token, body });

  async function expectError(res, status, detail) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    if (detail instanceof RegExp) assert.match(res.body.detail, detail);
    else if (detail !== undefined) assert.equal(res.body.detail, detail);
  }

  async function permissionsOf(userId) {
    const r = await asAdmin('GET', `/api/admin/permissions/${userId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.user_id, userId);
    return r.body.permissions;
  }

  async function requestAccess(user, body) {
    return api(server, 'POST', '/api/access-requests', { token: user.token, body });
  }

  test('admin-only surfaces refuse an analyst (403) and anyone anonymous (401)', async () => {
    const surfaces = [
      ['GET', '/api/admin/permissions'],
      ['POST', '/api/admin/permissions', { user_id: analyst.id, dataset: 'customers' }],
      ['DELETE', '/api/admin/permissions', { user_id: analyst.id, dataset: 'customers' }],
      ['GET', `/api/admin/permissions/${analyst.id}`],
      ['POST', '/api/admin/groups', { name: 'sneaky' }],
      ['POST', '/api/admin/groups/sneaky/members', { user_id: analyst.id }],
      ['DELETE', `/api/admin/groups/sneaky/members/${analyst.id}`],
      ['GET', '/api/access-requests/pending'],
      ['POST', '/api/access-requests/0123456789abcdef0123456789abcdef/approve'],
      ['POST', '/api/access-requests/0123456789abcdef0123456789abcdef/deny'],
      ['GET', '/api/admin/audit'],
    ];
    for (const [method, path, body] of surfaces) {
      const forbidden = await api(server, method, path, { token: analyst.token, body });
      assert.equal(forbidden.status, 403, `${method} ${path} as analyst`);
      const anonymous = await api(server, method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path} anonymous`);
    }
    for (const [method, path, body] of [
      ['POST', '/api/access-requests', { table_id: 'customers' }],
      ['GET', '/api/access-requests/my'],
    ]) {
      assert.equal((await api(server, method, path, { body })).status, 401, `${method} ${path}`);
    }
    // nothing the refused calls asked for happened
    assert.deepEqual(await permissionsOf(analyst.id), []);
    const groups = await asAdmin('POST', '/api/admin/groups', { name: 'sneaky' });
    assert.equal(groups.status, 201);
  });

  test('grants are validated: dataset, access, principal, table and user', async () => {
    const u = analyst.id;
    for (const dataset of ['', 'demo;drop', 'a*b', '*', '.*', 'demo.*.*', 'a b', 'x'.repeat(129), 'ü']) {
      await expectError(await asAdmin('POST', '/api/admin/permissions', { user_id: u, dataset }), 422, /dataset/);
    }
    await expectError(await asAdmin('POST', '/api/admin/permissions', { user_id: u, dataset: 'nope' }),
      404, "Table 'nope' not found");
    await expectError(await asAdmin('POST', '/api/admin/permissions',
      { user_id: 'ffffffffffffffffffffffffffffffff', dataset: 'customers' }), 404, 'User not found');
    await expectError(await asAdmin('POST', '/api/admin/permissions', { group: 'ghosts', dataset: 'customers' }), 404);
    await expectError(await asAdmin('POST', '/api/admin/permissions', { user_id: u, dataset: 'customers', access: 'write' }),
      422, "access must be 'read'");
    await expectError(await asAdmin('POST', '/api/admin/permissions',
      { user_id: u, group: 'sneaky', dataset: 'customers' }), 422, /exactly one of user_id and group/);
    await expectError(await asAdmin('POST', '/api/admin/permissions', { dataset: 'customers' }), 422, /exactly one/);
    await expectError(await asAdmin('POST', '/api/admin/permissions', { user_id: u, dataset: 'customers', extra: 1 }), 422);
    await expectError(await asAdmin('POST', '/api/admin/permissions', { user_id: 7, dataset: 'customers' }), 422);
    await expectError(await asAdmin('DELETE', '/api/admin/permissions', { user_id: u, dataset: 'a*b' }), 422, /dataset/);
    await expectError(await asAdmin('DELETE', '/api/admin/permissions', { user_id: u, dataset: 'customers', access: 'write' }), 422);
    await expectError(await asAdmin('GET', '/api/admin/permissions/ffffffffffffffffffffffffffffffff'), 404, 'User not found');
    assert.deepEqual(await permissionsOf(u), [], 'no refused grant was written');
  });

  test('grant, list and revoke a table for a user', async () => {
    const u = await newUser('granted');
    // a private table: no access yet
    assert.equal((await requestAccess(u, { table_id: 'customers' })).status, 201);
    const grant = await asAdmin('POST', '/api/admin/permissions', { user_id: u.id, dataset: 'customers' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    assert.deepEqual(grant.body, { user_id: u.id, group: null, dataset: 'customers', access: 'read' });
    const again = await asAdmin('POST', '/api/admin/permissions', { user_id: u.id, dataset: 'customers', access: 'read' });
    assert.equal(again.status, 201, 'granting twice is an upsert');
    assert.deepEqual(await permissionsOf(u.id), [{ user_id: u.id, group: null, dataset: 'customers', access: 'read' }]);
    const all = await asAdmin('GET', '/api/admin/permissions');
    assert.equal(all.status, 200);
    assert.equal(all.body.permissions.filter((p) => p.user_id === u.id).length, 1);
    // with the grant, the user can read: a request is refused as pointless
    await expectError(await requestAccess(u, { table_id: 'customers' }), 409, 'You can already read this table');
    const revoke = await asAdmin('DELETE', '/api/admin/permissions', { user_id: u.id, dataset: 'customers' });
    assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
    assert.deepEqual(revoke.body, { revoked: true });
    const twice = await asAdmin('DELETE', '/api/admin/permissions', { user_id: u.id, dataset: 'customers', access: 'read' });
    assert.deepEqual(twice.body, { revoked: false });
    assert.deepEqual(await permissionsOf(u.id), []);
    const gone = await asAdmin('GET', '/api/admin/permissions');
    assert.equal(gone.body.permissions.filter((p) => p.user_id === u.id).length, 0);
    await expectError(await asAdmin('DELETE', '/api/admin/permissions',
      { user_id: 'ffffffffffffffffffffffffffffffff', dataset: 'customers' }), 404, 'User not found');
  });

  test('a user grant makes an access request pointless (409), and so does a public table', async () => {
    const u = await newUser('reader');
    assert.equal((await asAdmin('POST', '/api/admin/permissions', { user_id: u.id, dataset: 'customers' })).status, 201);
    await expectError(await requestAccess(u, { table_id: 'customers' }), 409, 'You can already read this table');
    await expectError(await requestAccess(u, { table_id: 'products' }), 409, 'You can already read this table');
    const adminRequest = await api(server, 'POST', '/api/access-requests', { token: admin.token, body: { table_id: 'customers' } });
    await expectError(adminRequest, 409, 'You can already read this table');
  });

  test('groups: create, members, and a group grant reaches its members only while they belong', async () => {
    const member = await newUser('member');
    const outsider = await newUser('outsider');
    const g = await asAdmin('POST', '/api/admin/groups', { name: 'support-team' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.equal(g.body.name, 'support-team');
    assert.match(g.body.id, /^[0-9a-f]{32}$/);
    await expectError(await asAdmin('POST', '/api/admin/groups', { name: 'support-team' }), 409);
    for (const name of ['', 'a b', 'x'.repeat(65), 'a/b', 'a*']) {
      await expectError(await asAdmin('POST', '/api/admin/groups', { name }), 422, /name/);
    }
    const grant = await asAdmin('POST', '/api/admin/permissions', { group: 'support-team', dataset: 'support_tickets' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    assert.deepEqual(grant.body, { user_id: null, group: 'support-team', dataset: 'support_tickets', access: 'read' });
    const all = await asAdmin('GET', '/api/admin/permissions');
    assert.deepEqual(all.body.permissions.filter((p) => p.group === 'support-team'),
      [{ user_id: null, group: 'support-team', dataset: 'support_tickets', access: 'read' }]);

    const add = await asAdmin('POST', '/api/admin/groups/support-team/members', { user_id: member.id });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.deepEqual(add.body, { group: 'support-team', user_id: member.id });
    await expectError(await asAdmin('POST', '/api/admin/groups/support-team/members',
      { user_id: 'ffffffffffffffffffffffffffffffff' }), 404, 'User not found');
    await expectError(await asAdmin('POST', '/api/admin/groups/nobody/members', { user_id: member.id }), 404);

    // the member reads through the group; the outsider does not; the grant is the group's
    await expectError(await requestAccess(member, { table_id: 'support_tickets' }), 409, 'You can already read this table');
    assert.deepEqual(await permissionsOf(member.id), [], "a group grant is not the user's own");
    const out = await requestAccess(outsider, { table_id: 'support_tickets' });
    assert.equal(out.status, 201, JSON.stringify(out.body));

    const rm = await asAdmin('DELETE', `/api/admin/groups/support-team/members/${member.id}`);
    assert.equal(rm.status, 200, JSON.stringify(rm.body));
    assert.deepEqual(rm.body, { removed: true });
    await expectError(await asAdmin('DELETE', `/api/admin/groups/support-team/members/${member.id}`), 404);
    await expectError(await asAdmin('DELETE', `/api/admin/groups/nobody/members/${member.id}`), 404);
    const after = await requestAccess(member, { table_id: 'support_tickets' });
    assert.equal(after.status, 201, 'no longer a member: no longer a reader');

    const revoke = await asAdmin('DELETE', '/api/admin/permissions', { group: 'support-team', dataset: 'support_tickets' });
    assert.deepEqual(revoke.body, { revoked: true });
    await expectError(await asAdmin('DELETE', '/api/admin/permissions', { group: 'nobody', dataset: 'customers' }), 404);
  });

  test('a bucket grant demo.* reaches every table of the bucket', async () => {
    const u = await newUser('bucket');
    const grant = await asAdmin('POST', '/api/admin/permissions', { user_id: u.id, dataset: 'demo.*' });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    assert.deepEqual(grant.body, { user_id: u.id, group: null, dataset: 'demo.*', access: 'read' });
    for (const table_id of ['customers', 'support_tickets']) {
      await expectError(await requestAccess(u, { table_id }), 409, 'You can already read this table');
    }
    // another bucket's grant does not reach demo tables
    assert.equal((await asAdmin('POST', '/api/admin/permissions', { user_id: u.id, dataset: 'other.*' })).status, 201);
    assert.deepEqual((await permissionsOf(u.id)).map((p) => p.dataset).sort(), ['demo.*', 'other.*']);
    assert.deepEqual((await asAdmin('DELETE', '/api/admin/permissions', { user_id: u.id, dataset: 'demo.*' })).body,
      { revoked: true });
    assert.equal((await requestAccess(u, { table_id: 'customers' })).status, 201);
  });

  test('access requests: unknown table, bad input, duplicates, and the lists', async () => {
    const u = await newUser('requester');
    await expectError(await requestAccess(u, { table_id: 'nope' }), 404, "Table 'nope' not found");
    await expectError(await requestAccess(u, { table_id: '' }), 422);
    await expectError(await requestAccess(u, { table_id: 'x'.repeat(129) }), 422);
    await expectError(await requestAccess(u, { reason: 'no table' }), 422);
    await expectError(await requestAccess(u, { table_id: 'customers', reason: 'r'.repeat(1001) }), 422, /reason/);
    const first = await requestAccess(u, { table_id: 'customers', reason: 'quarterly report' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(first.body, { id: first.body.id, status: 'pending', table_id: 'customers' });
    await expectError(await requestAccess(u, { table_id: 'customers' }), 409,
      'You already have a pending request for this table');

    const mine = await api(server, 'GET', '/api/access-requests/my', { token: u.token });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.requests.length, 1);
    const row = mine.body.requests[0];
    assert.deepEqual(Object.keys(row).sort(),
      ['created_at', 'id', 'reason', 'reviewed_at', 'reviewed_by', 'status', 'table_id', 'user_email', 'user_id']);
    assert.equal(row.id, first.body.id);
    assert.equal(row.user_id, u.id);
    assert.equal(row.user_email, u.email);
    assert.equal(row.reason, 'quarterly report');
    assert.equal(row.status, 'pending');
    assert.equal(row.reviewed_by, null);
    assert.equal(row.reviewed_at, null);

    // another user's list does not show it
    const other = await api(server, 'GET', '/api/access-requests/my', { token: analyst.token });
    assert.ok(other.body.requests.every((r) => r.user_id === analyst.id));

    const pending = await asAdmin('GET', '/api/access-requests/pending');
    assert.equal(pending.status, 200);
    assert.equal(pending.body.count, pending.body.requests.length);
    assert.ok(pending.body.requests.some((r) => r.id === first.body.id));
    assert.ok(pending.body.requests.every((r) => r.status === 'pending'));
  });

  test('approval creates exactly the grant asked for, once; denial creates none', async () => {
    const u = await newUser('approved');
    const req = await requestAccess(u, { table_id: 'customers', reason: 'need it' });
    assert.equal(req.status, 201);
    const id = req.body.id;
    await expectError(await api(server, 'POST', `/api/access-requests/${id}/approve`, { token: u.token }), 403);
    const ok = await asAdmin('POST', `/api/access-requests/${id}/approve`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { status: 'approved', id });
    assert.deepEqual(await permissionsOf(u.id), [{ user_id: u.id, group: null, dataset: 'customers', access: 'read' }]);
    await expectError(await asAdmin('POST', `/api/access-requests/${id}/approve`), 404, 'Request not found or already processed');
    await expectError(await asAdmin('POST', `/api/access-requests/${id}/deny`), 404, 'Request not found or already processed');
    await expectError(await asAdmin('POST', '/api/access-requests/ffffffffffffffffffffffffffffffff/approve'), 404,
      'Request not found or already processed');
    const mine = await api(server, 'GET', '/api/access-requests/my', { token: u.token });
    const row = mine.body.requests.find((r) => r.id === id);
    assert.equal(row.status, 'approved');
    assert.equal(row.reviewed_by, ADMIN.email);
    assert.match(row.reviewed_at, /^\d{4}-\d\d-\d\dT/);
    const pending = await asAdmin('GET', '/api/access-requests/pending');
    assert.ok(!pending.body.requests.some((r) => r.id === id));
    await expectError(await requestAccess(u, { table_id: 'customers' }), 409, 'You can already read this table');
    // support_tickets, not asked for, stays out of reach
    assert.equal((await requestAccess(u, { table_id: 'support_tickets' })).status, 201);

    const d = await newUser('denied');
    const dreq = await requestAccess(d, { table_id: 'support_tickets' });
    assert.equal(dreq.status, 201);
    const no = await asAdmin('POST', `/api/access-requests/${dreq.body.id}/deny`);
    assert.equal(no.status, 200, JSON.stringify(no.body));
    assert.deepEqual(no.body, { status: 'denied', id: dreq.body.id });
    assert.deepEqual(await permissionsOf(d.id), []);
    await expectError(await asAdmin('POST', `/api/access-requests/${dreq.body.id}/approve`), 404);
    assert.deepEqual(await permissionsOf(d.id), [], 'a denied request cannot be approved later');
    const drow = (await api(server, 'GET', '/api/access-requests/my', { token: d.token })).body.requests[0];
    assert.equal(drow.status, 'denied');
    // a denied request is no longer pending: the user may ask again
    assert.equal((await requestAccess(d, { table_id: 'support_tickets' })).status, 201);
  });

  test('the audit log records every permission change with its actor, and filters by action', async () => {
    const actions = ['grant.add', 'grant.remove', 'group.create', 'group.member.add', 'group.member.remove',
      'access_request.create', 'access_request.approve', 'access_request.deny'];
    for (const action of actions) {
      const r = await asAdmin('GET', `/api/admin/audit?action=${action}&limit=1000`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.entries.length > 0, `${action} recorded`);
      assert.equal(r.body.total, r.body.entries.length);
      for (const e of r.body.entries) {
        assert.equal(e.action, action);
        assert.equal(e.result, 'ok');
        assert.ok(e.actor_id && e.actor_email, `${action} has an actor`);
        assert.deepEqual(Object.keys(e).sort(),
          ['action', 'actor_email', 'actor_id', 'at', 'detail', 'id', 'ip', 'result', 'target']);
      }
      if (action !== 'access_request.create') {
        assert.ok(r.body.entries.every((e) => e.actor_id === admin.id && e.actor_email === ADMIN.email));
      }
    }
    const grants = (await asAdmin('GET', '/api/admin/audit?action=grant.add&limit=1000')).body.entries;
    assert.ok(grants.some((e) => e.target === 'demo.*'));
    assert.ok(grants.some((e) => e.target === 'support_tickets' && e.detail === 'group=support-team'));
    // a revocation of nothing leaves no record: one grant.remove per real revocation (3 above)
    const removes = (await asAdmin('GET', '/api/admin/audit?action=grant.remove&limit=1000')).body.entries;
    assert.equal(removes.length, 3);
    const approvals = (await asAdmin('GET', '/api/admin/audit?action=access_request.approve')).body.entries;
    assert.equal(approvals.length, 1, 'the refused second approval left no record');
    assert.match(approvals[0].detail, /table=customers user=approved@example\.com/);

    // by actor: the analysts' own requests carry them as actor
    const creates = (await asAdmin('GET', '/api/admin/audit?action=access_request.create&limit=1000')).body.entries;
    const someone = creates[0].actor_id;
    const byActor = await asAdmin('GET', `/api/admin/audit?actor_id=${someone}&limit=1000`);
    assert.equal(byActor.status, 200);
    assert.ok(byActor.body.entries.length > 0);
    assert.ok(byActor.body.entries.every((e) => e.actor_id === someone));
    const nobody = await asAdmin('GET', '/api/admin/audit?action=no.such.action');
    assert.deepEqual(nobody.body, { entries: [], total: 0, limit: 100, offset: 0 });
  });

  test('the audit log pages, bounds by time, and refuses bad parameters (422)', async () => {
    const all = await asAdmin('GET', '/api/admin/audit');
    assert.equal(all.status, 200);
    assert.equal(all.body.limit, 100);
    assert.equal(all.body.offset, 0);
    assert.ok(all.body.total >= 10, `total ${all.body.total}`);
    const ids = all.body.entries.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

    const p1 = await asAdmin('GET', '/api/admin/audit?limit=2');
    const p2 = await asAdmin('GET', '/api/admin/audit?limit=2&offset=2');
    assert.equal(p1.body.entries.length, 2);
    assert.equal(p1.body.limit, 2);
    assert.equal(p2.body.offset, 2);
    assert.equal(p1.body.total, p2.body.total);
    assert.deepEqual([...p1.body.entries, ...p2.body.entries].map((e) => e.id), ids.slice(0, 4));
    const past = await asAdmin('GET', `/api/admin/audit?offset=${all.body.total}`);
    assert.deepEqual(past.body.entries, []);

    // time bounds: since is inclusive and until exclusive, to the millisecond of the record
    const mid = all.body.entries[3];
    const since = await asAdmin('GET', `/api/admin/audit?since=${encodeURIComponent(mid.at)}&limit=1000`);
    assert.equal(since.status, 200, JSON.stringify(since.body));
    assert.ok(since.body.entries.some((e) => e.id === mid.id));
    assert.ok(since.body.entries.every((e) => e.at >= mid.at));
    const until = await asAdmin('GET', `/api/admin/audit?until=${encodeURIComponent(mid.at)}&limit=1000`);
    assert.ok(!until.body.entries.some((e) => e.id === mid.id));
    assert.ok(until.body.entries.every((e) => e.at < mid.at));
    assert.equal(since.body.total + until.body.total, all.body.total);
    const wide = await asAdmin('GET', '/api/admin/audit?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z');
    assert.equal(wide.body.total, all.body.total);
    const future = await asAdmin('GET', '/api/admin/audit?since=2999-01-01T00:00:00Z');
    assert.equal(future.body.total, 0);

    for (const [query, name] of [
      ['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'],
      ['limit=', 'limit'], ['offset=-1', 'offset'], ['offset=1x', 'offset'],
      ['since=yesterday', 'since'], ['since=2026-02-30T00:00:00Z', 'since'],
      ['until=2026-01-01T00:00:00%2B02:00', 'until'], ['until=', 'until'],
    ]) {
      const r = await asAdmin('GET', `/api/admin/audit?${query}`);
      assert.equal(r.status, 422, `${query}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, new RegExp(`^${name}`), query);
    }
    const max = await asAdmin('GET', '/api/admin/audit?limit=1000');
    assert.equal(max.status, 200);
    assert.equal(max.body.limit, 1000);
  });
});

// guard_cache.test.mjs — the guard's parse cache and the access cache never outlive a change
// and never carry one caller's access to another: a text an admin ran is refused to an analyst;
// with both warm (each query run twice first), the very next query after a grant is revoked,
// a group membership removed, a table made private or an admin made analyst is refused; after
// a grant is given it passes; and after a rebuild that removes a table, the next query that
// names it is refused as unknown. The caches' use shows in /metrics (da_guard_parses_total).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, identityEnv, runDa, tempDir, removeDir, adminAndAnalyst } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('cached guard verdicts and read decisions on a running server', () => {
  let server;
  let admin;
  let analyst;
  let analystId;
  const inDir = tempDir('da-e2e-gc-');
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin, analyst, analystId } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    removeDir(inDir);
  });

  const query = (token, sql) => api(server, 'POST', '/api/query', { token, body: { sql } });
  // Runs sql twice (so both caches hold it) and expects status both times.
  const warm = async (token, sql, status) => {
    for (let i = 0; i < 2; i++) {
      const r = await query(token, sql);
      assert.equal(r.status, status, `${sql}: ${JSON.stringify(r.body)}`);
    }
  };
  const grant = (body) => api(server, 'POST', '/api/admin/permissions', { token: admin, body });
  const revoke = (body) => api(server, 'DELETE', '/api/admin/permissions', { token: admin, body });
  const SQL = 'SELECT count(*) AS n FROM customers';

  test("a text cached for an admin is still refused to an analyst, and the other way round", async () => {
    const sql = 'SELECT count(*) AS n FROM customers /* shared text */';
    await warm(admin, sql, 200);
    const r = await query(analyst, sql);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.detail, /table customers: you may not read it/);
    const other = 'SELECT count(*) AS n FROM support_tickets /* analyst first */';
    await warm(analyst, other, 403);
    assert.equal((await query(admin, other)).status, 200);
  });

  test('a grant given applies to the next query; revoked, the next query is refused', async () => {
    await warm(analyst, SQL, 403);
    assert.equal((await grant({ user_id: analystId, dataset: 'customers' })).status, 201);
    const r = await query(analyst, SQL);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await warm(analyst, SQL, 200);
    const gone = await revoke({ user_id: analystId, dataset: 'customers' });
    assert.equal(gone.status, 200);
    assert.equal(gone.body.revoked, true);
    const refused = await query(analyst, SQL);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.detail, /table customers: you may not read it/);
  });

  test('a bucket grant revoked: the next query is refused', async () => {
    assert.equal((await grant({ user_id: analystId, dataset: 'demo.*' })).status, 201);
    await warm(analyst, SQL, 200);
    assert.equal((await revoke({ user_id: analystId, dataset: 'demo.*' })).status, 200);
    assert.equal((await query(analyst, SQL)).status, 403);
  });

  test('a group membership removed: the next query is refused', async () => {
    assert.equal((await api(server, 'POST', '/api/admin/groups', { token: admin, body: { name: 'support' } })).status, 201);
    assert.equal((await grant({ group: 'support', dataset: 'support_tickets' })).status, 201);
    const tickets = 'SELECT count(*) FROM support_tickets';
    await warm(analyst, tickets, 403);
    const add = await api(server, 'POST', '/api/admin/groups/support/members', { token: admin, body: { user_id: analystId } });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    await warm(analyst, tickets, 200);
    const rm = await api(server, 'DELETE', `/api/admin/groups/support/members/${analystId}`, { token: admin });
    assert.equal(rm.status, 200, JSON.stringify(rm.body));
    const r = await query(analyst, tickets);
    assert.equal(r.status, 403, JSON.stringify(r.body));
  });

  test('a public table made private: the next query is refused; public again, it passes', async () => {
    const products = 'SELECT count(*) FROM products';
    await warm(analyst, products, 200);
    const put = (is_public) => api(server, 'PUT', '/api/admin/registry/products', { token: admin, body: { is_public } });
    assert.equal((await put(false)).status, 200);
    assert.equal((await query(analyst, products)).status, 403);
    assert.equal((await put(true)).status, 200);
    assert.equal((await query(analyst, products)).status, 200);
  });

  test('a user made admin reads everything at once; made analyst again, no longer', async () => {
    await warm(analyst, SQL, 403);
    const role = (r) => api(server, 'PATCH', `/api/users/${analystId}`, { token: admin, body: { role: r } });
    const up = await role('admin');
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal((await query(analyst, SQL)).status, 200);
    assert.equal((await role('analyst')).status, 200);
    assert.equal((await query(analyst, SQL)).status, 403);
  });

  test('a rebuild that removes a table: the next query naming it is refused as unknown', async () => {
    const catalog = async () => (await api(server, 'GET', '/api/admin/catalog', { token: admin })).body;
    const waitFor = async (pred, what) => {
      const until = Date.now() + 30000;
      for (;;) {
        const c = await catalog();
        if (pred(c)) return c;
        if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
        await sleep(200);
      }
    };
    mkdirSync(inDir, { recursive: true });
    writeFileSync(join(inDir, 'keep.csv'), 'k\n1\n');
    writeFileSync(join(inDir, 'dropme.csv'), 'd\n1\n2\n');
    let before = (await catalog()).generation;
    let r = runDa(['extract', 'files', '--source', 'gc', '--from', inDir, '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor((c) => c.generation > before && c.tables.some((t) => t.id === 'dropme'), 'dropme served');
    const sql = 'SELECT count(*) AS n FROM dropme';
    await warm(admin, sql, 200);

    rmSync(join(inDir, 'dropme.csv'));
    before = (await catalog()).generation;
    r = runDa(['extract', 'files', '--source', 'gc', '--from', inDir, '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor((c) => c.generation > before && !c.tables.some((t) => t.id === 'dropme')
      && c.tables.some((t) => t.id === 'keep'), 'dropme gone');
    const gone = await query(admin, sql);
    assert.equal(gone.status, 400, JSON.stringify(gone.body));
    assert.match(gone.body.detail, /table dropme does not exist/);
    assert.equal((await query(admin, 'SELECT count(*) AS n FROM keep')).status, 200);
  });

  test('repeated texts are parsed once: the cache is counted in /metrics', async () => {
    const sql = 'SELECT 42 AS answer /* metrics */';
    await warm(analyst, sql, 200);
    const m = await fetch(`${server.url}/metrics`);
    const text = await m.text();
    const hit = /da_guard_parses_total\{cache="hit"\} (\d+)/.exec(text);
    assert.ok(hit && Number(hit[1]) >= 1, text.slice(0, 2000));
    assert.match(text, /da_guard_parses_total\{cache="miss"\} \d+/);
  });
});

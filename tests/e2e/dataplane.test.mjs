// dataplane.test.mjs — the data plane on a running server: the catalog serves the demo
// extract; a new extract made by `da extract files` is picked up without a restart; admins
// rebuild by API and by `da rebuild` (which signals the server); profiles are computed in the
// background and shown only to callers who may read the table; health reports tables that
// are not served; and a server killed at any moment while rebuilding restarts on intact data.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, login, identityEnv, runDa, tempDir, removeDir, adminAndAnalyst, ADMIN } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value or the time is up.
async function eventually(fn, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// Files named *.tmp or *.wal anywhere under dir.
function strayFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (/\.(tmp|wal)$/.test(name)) found.push(path);
    if (statSync(path).isDirectory()) found.push(...strayFiles(path));
  }
  return found;
}

describe('the data plane on a running server', () => {
  let server;
  let admin;
  let analyst;
  const inDir = tempDir('da-e2e-in-');
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin, analyst } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    removeDir(inDir);
  });

  const catalog = async () => (await api(server, 'GET', '/api/admin/catalog', { token: admin })).body;

  test('the demo extract is served, checked and recorded', async () => {
    const c = await catalog();
    assert.ok(c.generation >= 1);
    assert.deepEqual(c.sources, ['demo']);
    assert.equal(c.tables.length, 6);
    for (const t of c.tables) {
      assert.equal(t.status, 'ok', JSON.stringify(t));
      assert.equal(t.source, 'demo');
      assert.equal(t.files, 1);
    }
    const health = await api(server, 'GET', '/api/health', { token: admin });
    assert.equal(health.body.status, 'healthy');
    assert.equal(health.body.details.tables, 6);
    const v = runDa(['extract', 'validate', join(server.dataDir, 'extracts', 'demo')]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /valid, 6 local and 0 remote tables usable, 0 problems/);
    // the extract.duckdb file itself names the same extract (with a relative path too)
    const f = runDa(['extract', 'validate', join(server.dataDir, 'extracts', 'demo', 'extract.duckdb')]);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    assert.equal(f.stdout, v.stdout);
    const rel = runDa(['extract', 'validate', 'extract.duckdb'], { cwd: join(server.dataDir, 'extracts', 'demo') });
    assert.equal(rel.code, 0, rel.stdout + rel.stderr);
    // another file is refused with a message naming what to give
    const other = runDa(['extract', 'validate', join(server.dataDir, 'state', 'system.sqlite')]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /give the extract folder or its extract\.duckdb/);
  });

  test('a new extract is served without a restart, under canonical table ids', async () => {
    writeFileSync(join(inDir, 'Price List.csv'), 'sku,price\nA-1,9.99\nB-2,19.5\n');
    writeFileSync(join(inDir, 'regions.json'), '[{"code":"EU","name":"Europe"},{"code":"US","name":"United States"}]');
    const before = (await catalog()).generation;
    const r = runDa(['extract', 'files', '--source', 'shop', '--from', inDir, '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /extract shop: 2 tables, 4 rows/);
    const c = await eventually(async () => {
      const now = await catalog();
      return now.generation > before && now.sources.includes('shop') ? now : null;
    }, 'the watcher to attach the new extract');
    const ids = c.tables.filter((t) => t.source === 'shop').map((t) => t.id).sort();
    assert.deepEqual(ids, ['price_list', 'regions']);
    assert.equal(c.tables.length, 8);
    // the swap is visible before the rebuild's log line is written: wait for it too
    await eventually(() => /generation \d+: 2 sources \(1 checked\)/.test(server.log),
      'the log of a rebuild that checked only the new source');
  });

  test('admins rebuild by API: all sources, one source, bad names', async () => {
    const all = await api(server, 'POST', '/api/admin/rebuild', { token: admin });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.equal(all.body.tables, 8);
    assert.equal(all.body.sources_checked, 2);
    const one = await api(server, 'POST', '/api/admin/rebuild', { token: admin, body: { source: 'shop' } });
    assert.equal(one.status, 200);
    assert.equal(one.body.generation, all.body.generation + 1);
    assert.equal(one.body.sources_checked, 1);
    assert.equal(one.body.tables, 8);
    const missing = await api(server, 'POST', '/api/admin/rebuild', { token: admin, body: { source: 'nosuch' } });
    assert.equal(missing.status, 404);
    assert.match(missing.body.detail, /nosuch/);
    const evil = await api(server, 'POST', '/api/admin/rebuild', { token: admin, body: { source: 'x; DROP TABLE y' } });
    assert.equal(evil.status, 422);
    const extra = await api(server, 'POST', '/api/admin/rebuild', { token: admin, body: { sauce: 'shop' } });
    assert.equal(extra.status, 422);
    assert.equal((await api(server, 'POST', '/api/admin/rebuild', { token: analyst })).status, 403);
    assert.equal((await api(server, 'POST', '/api/admin/rebuild')).status, 401);
    assert.equal((await api(server, 'GET', '/api/admin/catalog', { token: analyst })).status, 403);
    const audit = await api(server, 'GET', '/api/admin/audit?action=catalog.rebuild', { token: admin });
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.ok(JSON.stringify(audit.body).includes('catalog.rebuild'));
  });

  test('da rebuild on the server machine asks the running server', async () => {
    const before = (await catalog()).generation;
    const r = runDa(['rebuild', '--source', 'demo', '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /asked the server \(pid \d+\) to rebuild demo/);
    assert.match(r.stdout, /generation \d+: 8 tables served, 0 not served/);
    assert.ok((await catalog()).generation > before);
    await eventually(() => /SIGHUP: rebuilding the catalog \(demo\)/.test(server.log), 'the SIGHUP log line');
    const bad = runDa(['rebuild', '--source', '../etc', '--data-dir', server.dataDir]);
    assert.equal(bad.code, 2);
    const second = runDa(['serve', '--port', '0', '--data-dir', server.dataDir], { timeout: 20000 });
    assert.equal(second.code, 1);
    assert.match(second.stderr + second.stdout, /another da serve \(pid \d+\) is using/);
  });

  test('profiles are computed in the background and shown only to readers', async () => {
    const profile = await eventually(async () => {
      const r = await api(server, 'GET', '/api/catalog/profile/orders', { token: analyst });
      return r.status === 200 ? r.body : null;
    }, 'the profile of orders');
    assert.equal(profile.table_id, 'orders');
    assert.equal(profile.row_count, 10000);
    assert.ok(profile.columns.some((c) => c.name === 'total_amount' && c.histogram));
    assert.equal(profile.sample_rows, undefined, 'a profile never carries rows');
    // customers is private: the analyst gets the answer a missing table gets
    await eventually(async () => (await api(server, 'GET', '/api/catalog/profile/customers', { token: admin })).status === 200,
      'the profile of customers');
    const hidden = await api(server, 'GET', '/api/catalog/profile/customers', { token: analyst });
    assert.equal(hidden.status, 404);
    const missing = await api(server, 'GET', '/api/catalog/profile/nosuch', { token: analyst });
    assert.equal(missing.status, 404);
    assert.equal(hidden.body.detail, missing.body.detail);
    assert.equal((await api(server, 'GET', '/api/catalog/profile/orders')).status, 401);
    const refresh = await api(server, 'POST', '/api/catalog/profile/orders/refresh', { token: admin });
    assert.equal(refresh.status, 202);
    assert.equal((await api(server, 'POST', '/api/catalog/profile/orders/refresh', { token: analyst })).status, 403);
    assert.equal((await api(server, 'POST', '/api/catalog/profile/nosuch/refresh', { token: admin })).status, 404);
  });

  test('a broken extract is reported, and the other sources stay served', async () => {
    const dir = join(server.dataDir, 'extracts', 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'extract.duckdb'), 'this is not a database');
    const bad = join(server.dataDir, 'extracts', 'bad name; DROP');
    mkdirSync(bad, { recursive: true });
    const r = await api(server, 'POST', '/api/admin/rebuild', { token: admin });
    assert.equal(r.status, 200);
    assert.equal(r.body.tables, 8);
    assert.ok(r.body.problems.some((p) => /source broken cannot be attached/.test(p)), JSON.stringify(r.body.problems));
    assert.ok(r.body.problems.some((p) => /'bad name; DROP' is skipped/.test(p)));
    const c = await catalog();
    assert.equal(c.tables.filter((t) => t.status === 'ok').length, 8);
    assert.ok(c.problems.length >= 2);
    removeDir(dir);
    removeDir(bad);
  });
});

describe('the server killed while rebuilding', () => {
  test('restarts on intact data, with nothing stray beside the extracts', async () => {
    const dataDir = tempDir();
    try {
      let server = await startServer({ dataDir, args: ['--demo'], env: identityEnv() });
      assert.equal((await server.stop()).code, 0);
      for (let round = 0; round < 4; round++) {
        server = await startServer({ dataDir, env: identityEnv() });
        const token = await login(server, ADMIN.email, ADMIN.password);
        // eight rebuilds in flight (the server runs them one after another); SIGKILL the
        // moment the (round + 1)-th answers, so the kill lands at a different rebuild each
        // round, while the others are still running or waiting
        let answered = 0;
        let cut = 0;
        const victim = server;
        const pending = [];
        for (let i = 0; i < 8; i++) {
          pending.push(api(server, 'POST', '/api/admin/rebuild', { token }).then((r) => {
            assert.equal(r.status, 200, JSON.stringify(r.body));
            if (++answered === round + 1) victim.child.kill('SIGKILL');
          }, () => { cut++; }));
        }
        const exit = await server.exited;
        await Promise.all(pending);
        // the kill landed mid-work: our SIGKILL ended the server, after the rebuilds that
        // answered and with rebuilds still to do, whose connections it cut (a rebuild that
        // finished while the kill was on its way may have answered too)
        assert.equal(exit.signal, 'SIGKILL');
        assert.ok(answered >= round + 1, `${answered} answered`);
        assert.ok(cut >= 1, 'the kill came after every rebuild had answered');
        assert.equal(answered + cut, 8);
        server = await startServer({ dataDir, env: identityEnv() });
        const t2 = await login(server, ADMIN.email, ADMIN.password);
        const c = await api(server, 'GET', '/api/admin/catalog', { token: t2 });
        assert.equal(c.body.tables.filter((t) => t.status === 'ok').length, 6, JSON.stringify(c.body));
        assert.equal((await api(server, 'GET', '/api/health')).body.status, 'healthy');
        assert.equal((await server.stop()).code, 0);
        assert.deepEqual(strayFiles(join(dataDir, 'extracts')), []);
      }
    } finally {
      removeDir(dataDir);
    }
  });
});

// metric_defs.test.mjs — the company's business metric definitions over HTTP: the demo's two
// definitions are listed and served as JSON (and byte for byte with ?format=yaml) to any
// signed-in user and to nobody else; every way of naming a file outside the rule gets 400
// naming the rule, a missing one 404 with the resource's own message (not the router's),
// links planted in the folder are refused, and a hostile file (an alias bomb, an oversize
// file) is refused without taking the server down.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, identityEnv, adminAndAnalyst, runDa, tempDir, removeDir } from './lib/server.mjs';

describe('metric definitions', () => {
  let server;
  let admin;
  let analyst;
  let dir;
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin, analyst } = await adminAndAnalyst(server));
    dir = join(server.dataDir, 'docs', 'metrics');
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  test('the demo ships revenue and active customers; listed for any signed-in user', async () => {
    const r = await api(server, 'GET', '/api/catalog/metrics', { token: analyst });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.count, 2);
    assert.deepEqual(r.body.metrics.map((m) => m.path),
      ['customers/active_customers.yml', 'finance/revenue.yml']);
    const rev = r.body.metrics[1];
    assert.equal(rev.area, 'finance');
    assert.equal(rev.name, 'revenue');
    assert.equal(rev.title, 'Revenue');
    assert.match(rev.description, /not\s+cancelled or returned/);
  });

  test('one definition as JSON, typed; ?format=yaml is the file byte for byte', async () => {
    const r = await api(server, 'GET', '/api/catalog/metrics/finance/revenue.yml', { token: analyst });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.name, 'revenue');
    assert.equal(r.body.table, 'orders');
    assert.deepEqual(r.body.dimensions, ['channel', 'status']);
    assert.match(r.body.sql, /SUM\(total_amount\) AS revenue/);
    // its SQL answers on the served demo tables (as the admin: the analyst has no grant)
    const q = await api(server, 'POST', '/api/query', { token: admin, body: { sql: r.body.sql } });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.deepEqual(q.body.columns, ['month', 'revenue']);
    assert.ok(q.body.rows.length >= 12, JSON.stringify(q.body.rows));

    const y = await api(server, 'GET', '/api/catalog/metrics/finance/revenue.yml?format=yaml', { token: analyst });
    assert.equal(y.status, 200);
    assert.match(y.headers.get('content-type'), /^application\/yaml/);
    assert.equal(y.body, readFileSync(join(dir, 'finance', 'revenue.yml'), 'utf8'));
    const bad = await api(server, 'GET', '/api/catalog/metrics/finance/revenue.yml?format=xml', { token: analyst });
    assert.equal(bad.status, 400);
  });

  test('da sync copies them into metrics/ byte for byte and DATA.md lists them', async () => {
    const home = tempDir('da-metrics-home-');
    const folder = join(home, 'data');
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DA_SERVER: server.url,
      DA_TOKEN: analyst };
    try {
      const r = runDa(['sync', '--dir', folder, '--quiet'], { env });
      assert.equal(r.code, 0, r.stderr);
      for (const path of ['finance/revenue.yml', 'customers/active_customers.yml'])
        assert.equal(readFileSync(join(folder, 'metrics', path), 'utf8'),
          readFileSync(join(dir, path), 'utf8'), path);
      const md = readFileSync(join(folder, 'DATA.md'), 'utf8');
      assert.match(md, /## Metric definitions/);
      assert.match(md, /- `metrics\/finance\/revenue\.yml`: Revenue/);
      // a definition the server drops leaves the folder and DATA.md on the next sync
      const kept = readFileSync(join(dir, 'customers', 'active_customers.yml'));
      rmSync(join(dir, 'customers', 'active_customers.yml'));
      try {
        const again = runDa(['sync', '--dir', folder, '--quiet'], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.ok(!existsSync(join(folder, 'metrics', 'customers', 'active_customers.yml')));
        assert.doesNotMatch(readFileSync(join(folder, 'DATA.md'), 'utf8'), /active_customers/);
      } finally {
        writeFileSync(join(dir, 'customers', 'active_customers.yml'), kept);
      }
    } finally {
      removeDir(home);
    }
  });

  test('no credential: 401, for the list and for a file', async () => {
    assert.equal((await api(server, 'GET', '/api/catalog/metrics')).status, 401);
    assert.equal((await api(server, 'GET', '/api/catalog/metrics/finance/revenue.yml')).status, 401);
    assert.equal((await api(server, 'GET', '/api/catalog/metrics/finance/revenue.yml',
      { token: 'not-a-token' })).status, 401);
  });

  test('paths outside the rule: 400 naming it; a missing file: the resource\'s own 404', async () => {
    // (the server decodes %2F before routing, so an encoded slash makes one more segment: a
    // path of three or more segments is the router's 404, never a file)
    const bad = [
      'revenue.yml', 'Finance/revenue.yml', 'finance/revenue.yaml', 'finance/rev.enue.yml',
      'finance/.revenue.yml', 'finance/revenue1.yml', 'finance/revenue', 'fin%2Eance/revenue.yml',
      'finance/%2E%2E.yml', 'finance/revenue.yml%00', 'finance/re%20venue.yml',
    ];
    for (const p of bad) {
      const r = await api(server, 'GET', `/api/catalog/metrics/${p}`, { token: analyst });
      assert.equal(r.status, 400, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, /\[a-z_\]\+\/\[a-z_\]\+\\\.yml/, p);
    }
    for (const p of ['..%2F..%2Fsecret.yml', 'finance%2F..%2F..%2Fsecret.yml', 'a/b/c.yml']) {
      const r = await api(server, 'GET', `/api/catalog/metrics/${p}`, { token: analyst });
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.body, { detail: 'Not Found' }, p);
    }
    for (const p of ['finance/missing.yml', 'nowhere/revenue.yml']) {
      const r = await api(server, 'GET', `/api/catalog/metrics/${p}`, { token: analyst });
      assert.equal(r.status, 404, p);
      assert.match(r.body.detail, /metric definition .* not found/); // not the router's "Not Found"
    }
  });

  test('links in the folder are not followed; hostile files are refused, the server goes on', async () => {
    writeFileSync(join(server.dataDir, 'secret.yml'), 'password: hunter2\n');
    symlinkSync(join(server.dataDir, 'secret.yml'), join(dir, 'finance', 'leak.yml'));
    mkdirSync(join(server.dataDir, 'elsewhere'));
    writeFileSync(join(server.dataDir, 'elsewhere', 'leak.yml'), 'password: hunter2\n');
    symlinkSync(join(server.dataDir, 'elsewhere'), join(dir, 'elsewhere'));
    for (const p of ['finance/leak.yml', 'elsewhere/leak.yml']) {
      const r = await api(server, 'GET', `/api/catalog/metrics/${p}`, { token: analyst });
      assert.equal(r.status, 400, `${p}: ${JSON.stringify(r.body)}`);
      assert.ok(!JSON.stringify(r.body).includes('hunter2'));
      const y = await api(server, 'GET', `/api/catalog/metrics/${p}?format=yaml`, { token: analyst });
      assert.equal(y.status, 400);
    }

    mkdirSync(join(dir, 'hostile'));
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const c of 'bcdefghi') lol.push(`${c}: &${c} [${Array(9).fill(`*${String.fromCharCode(c.charCodeAt(0) - 1)}`).join(',')}]`);
    writeFileSync(join(dir, 'hostile', 'bomb.yml'), lol.join('\n') + '\n');
    writeFileSync(join(dir, 'hostile', 'deep.yml'), '['.repeat(50000));
    writeFileSync(join(dir, 'hostile', 'big.yml'), '#'.repeat(300 * 1024));
    let r = await api(server, 'GET', '/api/catalog/metrics/hostile/bomb.yml', { token: analyst });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.detail, /anchors are not allowed/);
    r = await api(server, 'GET', '/api/catalog/metrics/hostile/deep.yml', { token: analyst });
    assert.equal(r.status, 422);
    assert.match(r.body.detail, /nested deeper than/);
    r = await api(server, 'GET', '/api/catalog/metrics/hostile/big.yml', { token: analyst });
    assert.equal(r.status, 413);
    assert.match(r.body.detail, /larger than 262144 bytes/);

    // the list skips the links, keeps the hostile files (without titles) and still answers
    r = await api(server, 'GET', '/api/catalog/metrics', { token: analyst });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.metrics.map((m) => m.path), [
      'customers/active_customers.yml', 'finance/revenue.yml', 'hostile/bomb.yml', 'hostile/deep.yml',
    ]);
    assert.equal((await api(server, 'GET', '/api/health')).status, 200);
  });
});

// query.test.mjs — POST /api/query on a real server over the demo data: typed values, CSV,
// the row cap, the SQL guard's refusals for an analyst without grants (the hardening plan's
// query-security cases and the ways around a name check), the time limit while other users'
// queries keep answering, the per-user cap, a client that goes away, Parquet results, and the
// audit trail.
// The demo registers customers and support_tickets as private, the other four public.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, login, identityEnv, adminAndAnalyst, ADMIN } from './lib/server.mjs';


describe('governed SQL on a running server', () => {
  let server;
  let admin;
  let analyst;
  before(async () => {
    server = await startServer({
      args: ['--demo'],
      env: identityEnv({ DA_QUERY_TIMEOUT_S: '2', DA_QUERY_MAX_ROWS: '5000', DA_QUERY_MAX_CONCURRENT: '2' }),
    });
    ({ admin, analyst } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  const query = (token, body, headers) => api(server, 'POST', '/api/query', { token, body, headers });

  test('values come typed: numbers, decimals, dates, timestamps, nulls, nested', async () => {
    const r = await query(analyst, {
      sql: "SELECT order_id, total_amount, ordered_at, shipped_at, [1, 2] AS l, DATE '2025-01-02' AS d"
        + ' FROM orders WHERE shipped_at IS NULL ORDER BY order_id LIMIT 2',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.columns, ['order_id', 'total_amount', 'ordered_at', 'shipped_at', 'l', 'd']);
    assert.equal(r.body.types[1], 'DECIMAL(10,2)');
    const row = r.body.rows[0];
    assert.equal(typeof row[0], 'number');
    assert.equal(typeof row[1], 'number');
    assert.match(row[2], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(row[3], null);
    assert.deepEqual(row[4], [1, 2]);
    assert.equal(row[5], '2025-01-02');
    assert.equal(r.body.row_count, 2);
    assert.equal(r.body.truncated, false);
  });

  test('CSV on request, by Accept or by format', async () => {
    const res = await fetch(`${server.url}/api/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${analyst}`, 'Content-Type': 'application/json', Accept: 'text/csv' },
      body: JSON.stringify({ sql: 'SELECT product_id, sku FROM products ORDER BY 1 LIMIT 2' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    assert.equal(await res.text(), '"product_id","sku"\r\n"1","SKU-00001"\r\n"2","SKU-00002"\r\n');
    assert.equal(res.headers.get('x-da-row-count'), '2');
    assert.equal(res.headers.get('x-da-truncated'), 'false');
    const r = await query(analyst, { sql: 'SELECT 1 AS x', format: 'csv' });
    assert.equal(r.status, 200);
    assert.equal((await query(analyst, { sql: 'SELECT 1', format: 'xml' })).status, 422);
  });

  test('Parquet on request: the file, its row count and truncation; nothing left on disk', async () => {
    const parquet = async (body) => {
      const res = await fetch(`${server.url}/api/query`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${analyst}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    let { res, bytes } = await parquet({ sql: 'SELECT * FROM products ORDER BY product_id', limit: 7, format: 'parquet' });
    assert.equal(res.status, 200, bytes.toString());
    assert.equal(res.headers.get('content-type'), 'application/vnd.apache.parquet');
    assert.equal(res.headers.get('x-da-row-count'), '7');
    assert.equal(res.headers.get('x-da-truncated'), 'true');
    assert.equal(res.headers.get('x-da-truncated-by'), 'rows');
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    assert.equal(bytes.subarray(bytes.length - 4).toString(), 'PAR1');

    ({ res, bytes } = await parquet({ sql: 'SELECT 42 AS answer', format: 'parquet' }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-da-row-count'), '1');
    assert.equal(res.headers.get('x-da-truncated'), 'false');
    assert.ok(bytes.includes(Buffer.from('answer')), 'the column name is in the file');

    // by Accept too; refusals and bad SQL answer as for JSON
    const accepted = await query(analyst, { sql: 'SELECT 1 AS x' }, { Accept: 'application/vnd.apache.parquet' });
    assert.equal(accepted.status, 200);
    ({ res } = await parquet({ sql: 'SELECT * FROM customers', format: 'parquet' }));
    assert.equal(res.status, 403);
    ({ res } = await parquet({ sql: 'SELECT nope FROM orders', format: 'parquet' }));
    assert.equal(res.status, 400);

    const results = join(server.dataDir, 'state', 'results');
    assert.equal(statSync(results).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(results), [], 'every result file is gone once sent');
  });

  test('the row cap truncates and says so; limit asks for fewer', async () => {
    const capped = await query(analyst, { sql: 'SELECT * FROM web_sessions', limit: 100000 });
    assert.equal(capped.status, 200);
    assert.equal(capped.body.row_count, 5000);
    assert.equal(capped.body.truncated, true);
    assert.equal(capped.body.truncated_by, 'rows');
    const asked = await query(analyst, { sql: 'SELECT * FROM orders', limit: 10 });
    assert.equal(asked.body.row_count, 10);
    assert.equal(asked.body.truncated, true);
    const dflt = await query(analyst, { sql: 'SELECT * FROM orders' });
    assert.equal(dflt.body.row_count, 1000);
  });

  test('an analyst without a grant cannot read a private table by any route', async () => {
    const attacks = [
      'SELECT * FROM customers',
      'SELECT * FROM "Customers"',
      'SELECT * FROM CUSTOMERS',
      'SELECT * FROM main.customers',
      'SELECT o.order_id, c.email FROM orders o JOIN customers c USING (customer_id)',
      'SELECT * FROM orders WHERE customer_id IN (SELECT customer_id FROM customers)',
      'SELECT (SELECT max(email) FROM customers) AS e',
      'SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM customers)',
      'SELECT customer_id FROM orders UNION ALL SELECT customer_id FROM customers',
      'WITH orders AS (SELECT * FROM customers) SELECT * FROM orders',
      'WITH customers AS (SELECT * FROM customers) SELECT * FROM customers',
      'SELECT * FROM orders, LATERAL (SELECT email FROM customers) x',
      'SELECT * FROM support_tickets',
    ];
    for (const sql of attacks) {
      const r = await query(analyst, { sql });
      assert.equal(r.status, 403, `${sql}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, /customers|support_tickets/, sql);
    }
    // SQL refused for what it is answers 400, readable table or not: another schema, and
    // SQL text handed to DuckDB inside a string, which it would bind with the whole catalog
    const shaped = [
      ['SELECT * FROM demo.customers', /schema demo is not allowed/],
      ["SELECT json_serialize_plan('SELECT * FROM customers')", /json_serialize_plan is not allowed: it takes SQL text/],
      ["SELECT ('SELECT email FROM customers WHERE email > ''m''').json_serialize_plan()", /json_serialize_plan/],
      ["SELECT list_transform(['SELECT 1'], x -> JSON_SERIALIZE_PLAN(x))", /json_serialize_plan/],
    ];
    for (const [sql, detail] of shaped) {
      const r = await query(analyst, { sql });
      assert.equal(r.status, 400, `${sql}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, detail, sql);
      assert.doesNotMatch(r.body.detail, /email|parquet/, sql);
    }
  });

  test('files, URLs, table functions, metadata and other statements are refused', async () => {
    const refused = [
      "SELECT * FROM parquet_scan('extracts/demo/data/x.parquet')",
      "SELECT * FROM read_parquet('extracts/demo/data/*/customers.parquet')",
      "SELECT * FROM read_csv_auto('/etc/passwd')",
      "SELECT * FROM query_table('customers')",
      "SELECT * FROM query('SELECT * FROM customers')",
      "SELECT * FROM 'extracts/demo/data/run-x/customers.parquet'",
      "SELECT * FROM '../customers.parquet'",
      "SELECT * FROM 'extracts/*/data/*/*.parquet'",
      "SELECT * FROM 'http://example.com/x.parquet'",
      "SELECT * FROM 's3://bucket/x.parquet'",
      'SELECT * FROM information_schema.tables',
      'SELECT * FROM duckdb_tables()',
      "SELECT * FROM pragma_table_info('customers')",
      "SELECT current_setting('memory_limit')",
      'SELECT 1; SELECT 2',
      'DROP VIEW orders',
      "COPY orders TO '/tmp/x.csv'",
      "ATTACH '/tmp/x.duckdb' AS x",
      'INSTALL httpfs',
      'PRAGMA show_tables',
      'SET threads = 1',
      'DESCRIBE customers',
      'SHOW TABLES',
      "SELECT * FROM json_execute_serialized_sql('{}')",
      'SELECT version()',
      'SELECT no_such_function(1)',
      'SELECT ' + 'list_transform([1], x -> '.repeat(26) + '1' + ')'.repeat(26),
      'SELECT ' + '(SELECT '.repeat(125) + '1' + ')'.repeat(125),
    ];
    // refused for what it is: 400 (403 is only for a table the caller may not read)
    for (const sql of refused) {
      const r = await query(analyst, { sql });
      assert.equal(r.status, 400, `${sql}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(r.body.detail.length > 0);
      assert.ok(!r.body.detail.includes(server.dataDir), `no server path in: ${r.body.detail}`);
    }
    // admins are read-only too
    for (const sql of ['DROP VIEW orders', "SELECT * FROM read_csv_auto('/etc/passwd')", "COPY orders TO '/tmp/x.csv'",
      "SELECT json_serialize_plan('SELECT * FROM customers')"]) {
      const r = await query(admin, { sql });
      assert.equal(r.status, 400, `${sql}: ${r.status}`);
    }
    assert.equal((await query(admin, { sql: 'SELECT count(*) AS n FROM customers' })).body.rows[0][0], 1000);
  });

  test('no false positives: names in columns, aliases, literals and comments', async () => {
    const fine = [
      'SELECT 1 AS customers',
      "SELECT 'customers' AS t, 'SELECT * FROM customers; read_csv(''/etc/passwd'')' AS s",
      'SELECT o.customer_id AS customers FROM orders o LIMIT 1',
      'WITH customers AS (SELECT * FROM orders) SELECT count(*) FROM customers',
      'SELECT count(*) FROM orders; ',
      '-- customers\nSELECT 1 /* support_tickets */',
      'SELECT * FROM range(3)',
      'SELECT unnest([1, 2])',
    ];
    for (const sql of fine) {
      const r = await query(analyst, { sql });
      assert.equal(r.status, 200, `${sql}: ${JSON.stringify(r.body)}`);
    }
  });

  test('bad SQL is a 400 with the engine message', async () => {
    const r = await query(analyst, { sql: 'SELEC 1' });
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /syntax/i);
    const missing = await query(analyst, { sql: 'SELECT nope FROM orders' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.detail, /nope/);
    assert.equal((await query(analyst, { sql: '' })).status, 422);
    assert.equal((await query(analyst, { sql: 'SELECT 1', limit: -1 })).status, 422);
    assert.equal((await api(server, 'POST', '/api/query', { body: { sql: 'SELECT 1' } })).status, 401);
  });

  const SLOW = 'SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b';

  test('the time limit cancels a slow query while others keep answering', async () => {
    const t0 = Date.now();
    const slow = query(admin, { sql: SLOW });
    for (let i = 0; i < 5; i++) {
      const r = await query(analyst, { sql: 'SELECT count(*) FROM orders' });
      assert.equal(r.status, 200);
    }
    const r = await slow;
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.match(r.body.detail, /time limit of 2 s \(query.timeout_s\)/);
    assert.ok(Date.now() - t0 < 10000);
    assert.equal((await api(server, 'GET', '/api/health')).body.status, 'healthy');
  });

  test('a third concurrent query of one user gets 429; a client that goes away cancels its query', async () => {
    const a = query(analyst, { sql: SLOW });
    const b = query(analyst, { sql: SLOW });
    // while both run (up to the 2 s limit), a third one is refused; poll, since how soon
    // the two start depends on the machine's load
    let c = null;
    for (let i = 0; i < 15 && c?.status !== 429; i++) {
      await new Promise((r) => setTimeout(r, 100));
      c = await query(analyst, { sql: 'SELECT 1' });
    }
    assert.equal(c.status, 429, JSON.stringify(c.body));
    assert.match(c.body.detail, /query.max_concurrent/);
    await Promise.all([a, b]);

    const controller = new AbortController();
    const gone = fetch(`${server.url}/api/query`, {
      method: 'POST', signal: controller.signal,
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: SLOW }),
    }).catch(() => null);
    await new Promise((r) => setTimeout(r, 400));
    controller.abort();
    await gone;
    await new Promise((r) => setTimeout(r, 800));
    const audit = await api(server, 'GET', '/api/admin/audit?action=query&limit=1000', { token: admin });
    assert.ok(audit.body.entries.some((e) => e.result === 'cancelled'), 'a cancelled query is audited');
  });

  test('every query is audited with its tables, outcome and rows', async () => {
    const audit = await api(server, 'GET', '/api/admin/audit?action=query&limit=1000', { token: admin });
    assert.equal(audit.status, 200);
    const entries = audit.body.entries;
    assert.ok(entries.some((e) => e.result === 'ok' && e.target === 'orders' && /rows=10 truncated/.test(e.detail)));
    assert.ok(entries.some((e) => e.result === 'forbidden' && /customers/.test(e.detail)));
    assert.ok(entries.some((e) => e.result === 'timeout'));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /da_queries_total\{outcome="ok"\} [1-9]/);
    assert.match(metrics, /da_queries_total\{outcome="forbidden"\} [1-9]/);
    assert.match(metrics, /da_queries_total\{outcome="timeout"\} [1-9]/);
  });
});

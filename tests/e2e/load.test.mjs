// load.test.mjs — the server under a mixed query load: 20 clients, each its own analyst, run
// fast, slow and refused queries without pause for DA_LOAD_SECONDS (60 by default). Every fast
// query must be answered with the right result, every slow one cancelled at the time limit
// with 504, every refused one refused with its status; afterwards the server is healthy,
// nothing is left running, and a fresh query answers. Latencies are reported as diagnostics,
// never asserted (timings belong in bench/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, ADMIN } from './lib/server.mjs';

const CLIENTS = 20;
const SECONDS = Number(process.env.DA_LOAD_SECONDS || 60);
const TIMEOUT_S = 4;

// Fast queries over public demo tables; their expected answers are taken before the load.
const FAST = [
  'SELECT count(*) AS n, sum(total_amount) AS total FROM orders',
  'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status',
  'SELECT product_id, sku FROM products WHERE product_id = 17',
  'SELECT o.order_id, count(*) AS items FROM orders o JOIN order_items i USING (order_id)'
    + ' GROUP BY o.order_id ORDER BY o.order_id LIMIT 20',
  'WITH p AS (SELECT * FROM products) SELECT count(*) FROM p WHERE product_id % 7 = 0',
];
// Slow: a trillion-row join that only the time limit stops.
const SLOW = 'SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = 3';
// Refused: a private table, a file, two statements, a metadata function.
const REFUSED = [
  { sql: 'SELECT * FROM customers', status: 403 },
  { sql: "SELECT * FROM read_csv('/etc/passwd')", status: 400 },
  { sql: 'SELECT 1; SELECT 2', status: 400 },
  { sql: 'SELECT * FROM duckdb_tables()', status: 400 },
];

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

test(`${CLIENTS} clients mixing fast, slow and refused queries for ${SECONDS} s`, { timeout: (SECONDS + 240) * 1000 }, async (t) => {
  const server = await startServer({
    args: ['--demo'],
    // Every client keeps a slow query running most of the time, so a worker per client (no
    // fast query waits behind 20 slow ones for a free worker), each with one DuckDB thread (20
    // processes of a thread per core would make the 2-core CI machine 40 threads busy).
    env: identityEnv({
      DA_QUERY_TIMEOUT_S: String(TIMEOUT_S),
      DA_QUERY_WORKERS: String(CLIENTS + 4),
      DA_QUERY_THREADS: '1',
    }),
  });
  try {
    const admin = await login(server, ADMIN.email, ADMIN.password);
    const tokens = [];
    for (let i = 0; i < CLIENTS; i++) {
      const email = `load${i}@example.com`;
      const password = `load-password-${i}-xyz`;
      const r = await api(server, 'POST', '/api/users', {
        token: admin, body: { email, name: `Load ${i}`, role: 'analyst', password },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens.push(await login(server, email, password));
    }
    const expected = [];
    for (const sql of FAST) {
      const r = await api(server, 'POST', '/api/query', { token: tokens[0], body: { sql } });
      assert.equal(r.status, 200, `${sql}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.row_count > 0, sql);
      expected.push(JSON.stringify(r.body.rows));
    }

    const counts = { fast: 0, slow: 0, refused: 0 };
    const fastMs = [];
    const failures = [];
    const deadline = Date.now() + SECONDS * 1000;
    const client = async (token, n) => {
      for (let k = n; Date.now() < deadline; k++) {
        const pick = k % 10; // per client: 7 fast, 1 slow, 2 refused in every 10
        const started = performance.now();
        if (pick < 7) {
          const i = (k + n) % FAST.length;
          const r = await api(server, 'POST', '/api/query', { token, body: { sql: FAST[i] } });
          fastMs.push(performance.now() - started);
          if (r.status !== 200 || JSON.stringify(r.body.rows) !== expected[i])
            failures.push(`fast ${FAST[i]}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          counts.fast++;
        } else if (pick === 7) {
          const r = await api(server, 'POST', '/api/query', { token, body: { sql: SLOW } });
          if (r.status !== 504 || !/query\.timeout_s/.test(r.body.detail))
            failures.push(`slow: ${r.status} ${JSON.stringify(r.body)}`);
          counts.slow++;
        } else {
          const q = REFUSED[(k + n) % REFUSED.length];
          const r = await api(server, 'POST', '/api/query', { token, body: { sql: q.sql } });
          if (r.status !== q.status) failures.push(`refused ${q.sql}: ${r.status} ${JSON.stringify(r.body)}`);
          counts.refused++;
        }
      }
    };
    await Promise.all(tokens.map((token, n) => client(token, n)));

    fastMs.sort((a, b) => a - b);
    t.diagnostic(`queries: ${JSON.stringify(counts)}; fast query latency ms:`
      + ` p50 ${percentile(fastMs, 0.5).toFixed(1)}, p99 ${percentile(fastMs, 0.99).toFixed(1)},`
      + ` max ${fastMs[fastMs.length - 1].toFixed(1)}`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} queries were answered wrongly`);
    assert.ok(counts.fast > CLIENTS * 5, `too few fast queries ran: ${counts.fast}`);
    assert.ok(counts.slow >= CLIENTS, `every client ran a slow query: ${counts.slow}`);

    // afterwards: healthy, nothing running, the metrics agree, a new query answers
    const health = await api(server, 'GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'healthy', JSON.stringify(health.body));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^da_queries_running 0$/m);
    const timeouts = Number((metrics.match(/^da_queries_total\{outcome="timeout"\} (\d+)/m) || [])[1]);
    assert.equal(timeouts, counts.slow);
    const again = await api(server, 'POST', '/api/query', { token: tokens[1], body: { sql: FAST[0] } });
    assert.equal(again.status, 200);
    assert.equal(JSON.stringify(again.body.rows), expected[0]);
  } finally {
    assert.equal((await server.stop()).code, 0, server.log.slice(-2000));
  }
});

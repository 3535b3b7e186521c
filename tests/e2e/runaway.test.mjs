// runaway.test.mjs — queries the deadline and DuckDB's own limits cannot stop in-process: work in
// the binder and optimizer (nested lambdas, nested scalar subqueries), one function call that
// never checks for an interrupt (levenshtein of two long strings), and single values past the
// memory limit (a billion-element list, a string aggregate of gigabytes). Each runs in a query
// worker process; the server kills the worker at the deadline or past the memory budget and
// answers 504 or 422, another user's query is answered meanwhile, the server's own memory
// stays small, no process keeps burning CPU, and SIGTERM ends the server whatever runs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { startServer, api, adminAndAnalyst, identityEnv, login, ADMIN } from './lib/server.mjs';

const TIMEOUT_S = 2;
const lambdas = (depth) => `SELECT ${'list_transform([1], x -> '.repeat(depth)}1${')'.repeat(depth)}`;
const subqueries = (depth) => `SELECT ${'(SELECT '.repeat(depth)}1${')'.repeat(depth)}`;
const LEVENSHTEIN = "SELECT levenshtein(repeat('a', 200000), repeat('b', 200000))";
const BIG_LIST = 'SELECT range(1000000000)';
const BIG_STRING = "SELECT length(string_agg(repeat('x', 1000), '')) FROM range(20000000)";

// The pids of the server's child processes (its query workers).
function children(pid) {
  const out = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

// CPU clock ticks used so far by pid (user + system), 0 once it is gone.
function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function statusKb(pid, field) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return Number(m[1]);
}

async function metric(server, name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\d+)`, 'm'));
  return m ? Number(m[1]) : 0;
}

describe('runaway queries are ended by killing their worker', () => {
  let server;
  let analyst;
  let other;
  let ordersCount;
  before(async () => {
    server = await startServer({
      args: ['--demo'],
      env: identityEnv({ DA_QUERY_TIMEOUT_S: String(TIMEOUT_S), DA_QUERY_MEMORY_LIMIT: '512MB' }),
    });
    ({ analyst } = await adminAndAnalyst(server));
    const admin = await login(server, ADMIN.email, ADMIN.password);
    const r = await api(server, 'POST', '/api/users', {
      token: admin, body: { email: 'bob@example.com', name: 'Bob', role: 'analyst', password: 'bob-password-1234' },
    });
    assert.equal(r.status, 201);
    other = await login(server, 'bob@example.com', 'bob-password-1234');
    const c = await api(server, 'POST', '/api/query', { token: other, body: { sql: 'SELECT count(*) AS n FROM orders' } });
    assert.equal(c.status, 200);
    ordersCount = c.body.rows[0][0];
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  const query = (token, sql) => api(server, 'POST', '/api/query', { token, body: { sql } });

  // A runaway query answers 504 naming query.timeout_s while another user is answered, its
  // worker is replaced, and afterwards nothing of the server burns CPU.
  async function endsAtDeadline(sql) {
    const restarts = await metric(server, 'da_query_worker_restarts_total');
    const t0 = Date.now();
    const slow = query(analyst, sql);
    await new Promise((r) => setTimeout(r, 300));
    const meanwhile = await query(other, 'SELECT count(*) AS n FROM orders');
    assert.equal(meanwhile.status, 200, JSON.stringify(meanwhile.body));
    assert.equal(meanwhile.body.rows[0][0], ordersCount);
    const r = await slow;
    const took = Date.now() - t0;
    console.log(`# ${sql.slice(0, 40)}...: ${r.status} after ${took} ms`);
    if (r.status === 400) {
      // the SQL guard may refuse the shape before any engine sees it: also a clean end
      assert.match(r.body.detail, /nest|deep|depth|complex/i, JSON.stringify(r.body));
      return false;
    }
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.match(r.body.detail, /time limit of 2 s \(query\.timeout_s\)/);
    assert.ok(took < 30000, `answered after ${took} ms`);
    assert.ok(await metric(server, 'da_query_worker_restarts_total') > restarts, 'the worker was replaced');
    const pids = [server.child.pid, ...children(server.child.pid)];
    const before = pids.map(cpuTicks).reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 1000));
    const used = pids.map(cpuTicks).reduce((a, b) => a + b, 0) - before;
    assert.ok(used < 50, `the server and its workers used ${used} ticks in 1 s after the timeout`);
    return true;
  }

  test('one function call that never checks for an interrupt: 504, worker replaced', async () => {
    assert.equal(await endsAtDeadline(LEVENSHTEIN), true);
  });

  test('nested lambdas (binder time): ended at the deadline', async () => {
    await endsAtDeadline(lambdas(28));
  });

  test('125 nested scalar subqueries (binder and optimizer time): ended at the deadline', async () => {
    await endsAtDeadline(subqueries(125));
  });

  for (const [name, sql] of [['a billion-element list', BIG_LIST], ['a string of gigabytes', BIG_STRING]]) {
    test(`${name}: 422 naming query.memory_limit, the server's memory stays small`, async () => {
      const r = await query(analyst, sql);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(r.body.detail, /query\.memory_limit/);
      const peakMb = statusKb(server.child.pid, 'VmHWM') / 1024;
      console.log(`# server peak RSS ${peakMb.toFixed(0)} MB`);
      assert.ok(peakMb < 1024, `the server itself peaked at ${peakMb} MB`);
      const again = await query(analyst, 'SELECT 41 + 1 AS x');
      assert.equal(again.status, 200);
      assert.deepEqual(again.body.rows, [[42]]);
    });
  }

  test('the workers are supervised: gauges in /metrics, no more processes than query.workers', async () => {
    const live = await metric(server, 'da_query_workers');
    assert.ok(live >= 1, `da_query_workers ${live}`);
    assert.ok(children(server.child.pid).length <= 8);
  });

  test('should the machine run out of memory, the kernel kills a worker, never the server', async () => {
    const workers = children(server.child.pid);
    assert.ok(workers.length >= 1);
    for (const pid of workers)
      assert.equal(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), '1000', `worker ${pid}`);
    assert.notEqual(readFileSync(`/proc/${server.child.pid}/oom_score_adj`, 'utf8').trim(), '1000');
  });
});

describe('SIGTERM during a runaway query', () => {
  test('the server exits 0 within the grace period, the query gets a whole answer', { timeout: 60000 }, async () => {
    const server = await startServer({
      args: ['--demo'],
      env: identityEnv({ DA_QUERY_TIMEOUT_S: '300', DA_SHUTDOWN_GRACE_S: '2' }),
    });
    const { analyst } = await adminAndAnalyst(server);
    const running = api(server, 'POST', '/api/query', { token: analyst, body: { sql: LEVENSHTEIN } });
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    const took = Date.now() - t0;
    console.log(`# exited ${code} ${took} ms after SIGTERM`);
    assert.equal(code, 0, server.log.slice(-2000));
    assert.ok(took < 2000 + 10000, `took ${took} ms`);
    const r = await running; // a cut answer would throw here
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.match(r.body.detail, /shutting down/);
    assert.ok(!existsSync(`/proc/${server.child.pid}`) || readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').includes(') Z'));
  });
});

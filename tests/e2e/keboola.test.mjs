// keboola.test.mjs — `da extract keboola` against the fake Keboola Storage API
// (tests/fakes/keboola.mjs) with a real server: full refresh with typed columns, incremental
// (only changed rows asked for, upserted by key), append, sliced gzip exports, a refused token,
// a 500 that recovers, a failing export job, a value that does not cast, hostile ids, discovery
// and registration, the served tables under the usual grants, and a sync triggered over the
// API that the scheduler runs as a job.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, identityEnv, adminAndAnalyst, cleanEnv, DA_BIN } from './lib/server.mjs';
import { startFakeKeboola } from '../fakes/keboola.mjs';

const TOKEN = 'kbc-secret-token-1234567890';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(fn, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

describe('the Keboola connector against a fake Keboola', () => {
  let server, kbc, admin, analyst;

  // Runs da asynchronously: the fake answers from this very process.
  function runDa(args, env = {}) {
    return new Promise((resolve) => {
      const child = spawn(DA_BIN, args, {
        env: cleanEnv({ KEBOOLA_STACK_URL: kbc.url, KEBOOLA_STORAGE_TOKEN: TOKEN, DA_KEBOOLA_RETRY_BACKOFF_MS: '20', ...env }),
        cwd: server.dataDir,
      });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const extract = (tables = [], env) =>
    runDa(['extract', 'keboola', '--source', 'keboola', '--json', '--data-dir', server.dataDir,
      ...tables.flatMap((t) => ['--table', t])], env);

  const asAdmin = (method, path, body) => api(server, method, path, { token: admin, body });
  const register = async (body) => {
    const r = await asAdmin('POST', '/api/admin/register-table', { source_type: 'keboola', query_mode: 'local', ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  // the rows of sql as an admin, once the catalog serves what check accepts
  async function rows(sql, check = (r) => r.status === 200) {
    return eventually(async () => {
      const r = await api(server, 'POST', '/api/query', { token: admin, body: { sql } });
      return check(r) ? r : null;
    }, `a query result for ${sql}`);
  }

  before(async () => {
    kbc = await startFakeKeboola({ token: TOKEN });
    server = await startServer({ env: identityEnv({ KEBOOLA_STACK_URL: kbc.url, KEBOOLA_STORAGE_TOKEN: TOKEN, DA_KEBOOLA_RETRY_BACKOFF_MS: '20', DA_KEBOOLA_S3_ENDPOINT: kbc.url }) });
    ({ admin, analyst } = await adminAndAnalyst(server));
    kbc.addTable({
      id: 'in.c-main.orders',
      columns: ['id', 'customer', 'amount', 'paid', 'day', 'at', 'score'],
      types: { id: 'INTEGER', amount: 'NUMERIC', paid: 'BOOLEAN', day: 'DATE', at: 'TIMESTAMP', score: 'FLOAT' },
      primaryKey: ['id'],
      exportPolls: 3,
      rows: [
        ['1', 'Ann', '10.50', 'true', '2026-01-02', '2026-01-02 10:00:00', '0.5'],
        ['2', 'Bob, "the builder"', '', 'false', '2026-01-03', '2026-01-03 11:30:00', ''],
        ['3', 'Cy\nline two', '7', '1', '', '2026-01-04T12:00:00+02:00', '3e2'],
      ],
    });
    kbc.addTable({
      id: 'in.c-crm.customers', columns: ['id', 'name', 'tier'], types: { id: 'INTEGER' },
      primaryKey: ['id'], sliced: true, slices: 2, rows: [['1', 'Ann', 'gold'], ['2', 'Bob', 'silver'], ['3', 'Cy', 'bronze']],
    });
    kbc.addTable({
      id: 'out.c-log.events', columns: ['seq', 'kind'], types: { seq: 'INTEGER' },
      sliced: true, gzip: true, slices: 4, rows: Array.from({ length: 50 }, (_, i) => [String(i), i % 2 ? 'click' : 'view']),
    });
  });
  after(async () => {
    if (kbc) await kbc.stop();
    if (server) assert.equal((await server.stop()).code, 0);
  });

  test('with nothing registered the run fails and says what to do', async () => {
    const r = await extract();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no table is registered with source_type keboola/);
  });

  test('full refresh: typed columns, quoted values, a job that takes several polls', async () => {
    await register({ name: 'orders', source_table: 'in.c-main.orders', sync_strategy: 'full_refresh' });
    kbc.clearLog();
    const r = await extract();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()), { tables: 1, rows: 3, bytes: JSON.parse(r.stdout).bytes });
    assert.ok(JSON.parse(r.stdout).bytes > 0);
    const polls = kbc.log.filter((e) => e.path.startsWith('/v2/storage/jobs/'));
    assert.ok(polls.length >= 3, `the job was polled ${polls.length} times`);
    const exp = kbc.log.find((e) => e.path.endsWith('/export-async'));
    assert.equal(exp.form.gzip, '1');
    assert.equal(exp.form['columns[0]'], 'id');
    assert.equal(exp.form['columns[6]'], 'score');
    assert.equal(exp.form.changedSince, undefined);
    assert.ok(kbc.log.some((e) => e.path.startsWith('/v2/storage/files/') && e.query.federationToken === '1'));
    // downloads go to the storage with no token
    assert.ok(kbc.log.filter((e) => e.path.startsWith('/download/')).every((e) => !e.tokenSent));
    assert.ok(!r.stderr.includes(TOKEN));

    const q = await rows('SELECT * FROM orders ORDER BY id');
    assert.deepEqual(q.body.columns, ['id', 'customer', 'amount', 'paid', 'day', 'at', 'score']);
    assert.deepEqual(q.body.types, ['BIGINT', 'VARCHAR', 'DECIMAL(38,9)', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'DOUBLE']);
    assert.equal(q.body.rows.length, 3);
    assert.equal(q.body.rows[0][0], 1);
    assert.equal(q.body.rows[1][1], 'Bob, "the builder"');
    assert.equal(q.body.rows[1][2], null, 'an empty typed field is NULL');
    assert.equal(q.body.rows[2][1], 'Cy\nline two');
    assert.equal(q.body.rows[2][3], true);
    assert.equal(q.body.rows[2][6], 300);
    assert.equal(q.body.rows[0][4], '2026-01-02');
    assert.equal(q.body.rows[2][4], null);
    assert.match(q.body.rows[0][5], /^2026-01-02T10:00:00/, 'a timestamp without an offset is UTC');
    assert.match(q.body.rows[2][5], /^2026-01-04T10:00:00/, 'an offset is applied, not dropped');
  });

  test('incremental: only rows changed since the last run are asked for, upserted by key', async () => {
    await register({ name: 'customers', source_table: 'in.c-crm.customers', sync_strategy: 'incremental', primary_key: 'id' });
    let r = await extract(['customers']);
    assert.equal(r.code, 0, r.stderr);
    let first = kbc.log.filter((e) => e.path === '/v2/storage/tables/in.c-crm.customers/export-async');
    assert.equal(first.at(-1).form.changedSince, undefined, 'the first run exports everything');
    await rows('SELECT count(*) FROM customers', (x) => x.status === 200 && x.body.rows[0][0] === 3);
    // orders was not asked for: it is kept as it was
    assert.equal((await rows('SELECT count(*) FROM orders')).body.rows[0][0], 3);

    await sleep(1100); // changedSince has one-second precision
    kbc.upsertRows('in.c-crm.customers', [['2', 'Bob', 'gold'], ['4', 'Dee', 'silver']]);
    kbc.clearLog();
    r = await extract(['customers']);
    assert.equal(r.code, 0, r.stderr);
    const exp = kbc.log.find((e) => e.path.endsWith('/export-async'));
    assert.match(exp.form.changedSince, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(JSON.parse(r.stdout).rows, 2, 'only the two changed rows were fetched');
    const q = await rows('SELECT id, name, tier FROM customers ORDER BY id', (x) => x.status === 200 && x.body.rows.length === 4);
    assert.deepEqual(q.body.rows, [[1, 'Ann', 'gold'], [2, 'Bob', 'gold'], [3, 'Cy', 'bronze'], [4, 'Dee', 'silver']]);
  });

  test('append, sliced and gzipped: each run adds the rows changed since the last', async () => {
    await register({ name: 'events', source_table: 'out.c-log.events', sync_strategy: 'append' });
    let r = await extract(['events']);
    assert.equal(r.code, 0, r.stderr);
    await rows('SELECT count(*) FROM events', (x) => x.status === 200 && x.body.rows[0][0] === 50);
    const parts = kbc.log.filter((e) => /^\/download\/\d+\/part\d{4}\.csv\.gz$/.test(e.path));
    assert.equal(parts.length, 4, 'four gzipped slices downloaded');
    await sleep(1100);
    kbc.upsertRows('out.c-log.events', [['50', 'buy'], ['51', 'buy']]);
    r = await extract(['events']);
    assert.equal(r.code, 0, r.stderr);
    const q = await rows('SELECT count(*), sum(CASE WHEN kind = \'buy\' THEN 1 ELSE 0 END) FROM events',
      (x) => x.status === 200 && x.body.rows[0][0] === 52);
    assert.equal(q.body.rows[0][1], 2);
  });

  test('a refused token fails the run without printing the token; the old extract stays', async () => {
    const r = await extract([], { KEBOOLA_STORAGE_TOKEN: 'wrong-token-abcdef123456' });
    assert.equal(r.code, 1);
    const last = r.stderr.trim().split('\n').pop();
    assert.match(last, /Keboola refused the token/);
    assert.ok(!r.stderr.includes('wrong-token-abcdef123456'));
    assert.ok(!r.stderr.includes(TOKEN));
    assert.equal((await rows('SELECT count(*) FROM orders')).body.rows[0][0], 3);
  });

  test('a 500 is retried and the run succeeds', async () => {
    kbc.fail500(2);
    kbc.clearLog();
    const r = await extract(['orders']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /retrying/);
    assert.equal(kbc.log.filter((e) => e.path === '/v2/storage/tables/in.c-main.orders').length, 3);
  });

  test('a failed export job fails the run with its message', async () => {
    kbc.set('in.c-main.orders', { failJob: 'Table export failed: snowflake said no' });
    const r = await extract(['orders']);
    kbc.set('in.c-main.orders', { failJob: null });
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim().split('\n').pop(), /export of in\.c-main\.orders failed: Table export failed: snowflake said no/);
  });

  test('a value that does not cast names the table, the column and the row', async () => {
    const t = kbc.tables.get('in.c-main.orders');
    const saved = t.rows;
    kbc.setRows('in.c-main.orders', [
      ['1', 'Ann', '10.50', 'true', '2026-01-02', '2026-01-02 10:00:00', '0.5'],
      ['2', 'Bob', '1', 'false', '2026-02-30x', '2026-01-03 11:30:00', '1'],
    ]);
    const r = await extract(['orders']);
    t.rows = saved;
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim().split('\n').pop(), /table orders \(Keboola in\.c-main\.orders\), column day, row 2: '2026-02-30x' is not a DATE/);
    assert.equal((await rows('SELECT count(*) FROM orders')).body.rows[0][0], 3, 'the old rows are still served');
  });

  test('a hostile source_table is skipped with a reason, never put in a URL', async () => {
    await register({ name: 'evil', source_table: '../../v2/storage/tokens?x=1', sync_strategy: 'full_refresh' });
    kbc.clearLog();
    const r = await extract(['evil', 'orders']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /table evil skipped: its source_table is not a Keboola table id/);
    assert.ok(kbc.log.every((e) => !e.path.includes('tokens')));
    assert.equal(JSON.parse(r.stdout).tables, 1);
    assert.equal((await asAdmin('DELETE', '/api/admin/registry/evil')).status, 204);
  });

  test('discovery: admins see the remote tables with their columns, types and state', async () => {
    kbc.addTable({ id: 'in.c-new.Web Visits', columns: ['day', 'hits'], types: { day: 'DATE', hits: 'INTEGER' }, rows: [['2026-01-01', '5']] });
    kbc.addTable({ id: 'in.c-new.visits2', columns: ['a b', 'A_B'], rows: [['1', '2']] });
    kbc.addTable({ id: 'in.c-new.pages', columns: ['url', 'views'], types: { views: 'INTEGER' }, primaryKey: ['url'], rows: [['/', '3']] });
    const anon = await api(server, 'GET', '/api/admin/discover-tables?source=keboola');
    assert.equal(anon.status, 401);
    const denied = await api(server, 'GET', '/api/admin/discover-tables?source=keboola', { token: analyst });
    assert.equal(denied.status, 403);
    assert.equal((await asAdmin('GET', '/api/admin/discover-tables')).status, 422);
    assert.equal((await asAdmin('GET', '/api/admin/discover-tables?source=jira')).status, 404);
    kbc.clearLog();
    const r = await asAdmin('GET', '/api/admin/discover-tables?source=keboola');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(kbc.log.map((e) => e.path), ['/v2/storage/buckets', '/v2/storage/tables']);
    assert.equal(kbc.log[1].query.include, 'columns,metadata');
    const byId = Object.fromEntries(r.body.tables.map((t) => [t.id, t]));
    assert.equal(byId['in.c-main.orders'].registered, 'orders');
    assert.equal(byId['in.c-main.orders'].rows, 3);
    assert.equal(byId['in.c-main.orders'].bucket, 'in.c-main');
    assert.equal(byId['in.c-main.orders'].bucket_name, 'c-main');
    assert.equal(byId['in.c-main.orders'].stage, 'in');
    assert.deepEqual(byId['in.c-main.orders'].primary_key, ['id']);
    assert.deepEqual(byId['in.c-main.orders'].columns.map((c) => c.type),
      ['BIGINT', 'VARCHAR', 'DECIMAL(38,9)', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'DOUBLE']);
    assert.equal(byId['in.c-new.pages'].suggested_id, 'in_c_new_pages');
    assert.equal(byId['in.c-new.pages'].registered, null);
    assert.match(byId['in.c-new.Web Visits'].skipped, /not of \[A-Za-z0-9_.-\]/);
    assert.match(byId['in.c-new.visits2'].skipped, /same column name/);
    assert.ok(!JSON.stringify(r.body).includes(TOKEN));
  });

  test('da admin tables discover keboola --register registers the open tables in one step', async () => {
    const r = await runDa(['admin', 'tables', 'discover', 'keboola', '--register', '--json'],
      { DA_SERVER: server.url, DA_TOKEN: admin });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.tables.find((t) => t.id === 'in.c-new.pages').registered, 'in_c_new_pages');
    const row = await asAdmin('GET', '/api/admin/registry/in_c_new_pages');
    assert.equal(row.status, 200, JSON.stringify(row.body));
    assert.equal(row.body.source_type, 'keboola');
    assert.equal(row.body.source_table, 'in.c-new.pages');
    assert.equal(row.body.primary_key, 'url');
    assert.equal((await asAdmin('GET', '/api/admin/registry/in_c_new_visits2')).status, 404, 'a skipped table is not registered');
    const x = await extract(['in_c_new_pages']);
    assert.equal(x.code, 0, x.stderr);
    const q = await rows('SELECT url, views FROM in_c_new_pages');
    assert.deepEqual(q.body.rows, [['/', 3]]);
    assert.deepEqual(q.body.types, ['VARCHAR', 'BIGINT']);
  });

  test('an empty sliced export gives an empty table with its types', async () => {
    kbc.addTable({ id: 'in.c-main.empty', columns: ['id', 'at'], types: { id: 'INTEGER', at: 'TIMESTAMP' }, sliced: true, gzip: true, slices: 1, rows: [] });
    await register({ name: 'empty', source_table: 'in.c-main.empty', sync_strategy: 'full_refresh' });
    const r = await extract(['empty']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).rows, 0);
    const q = await rows('SELECT * FROM empty');
    assert.deepEqual(q.body.columns, ['id', 'at']);
    assert.deepEqual(q.body.types, ['BIGINT', 'TIMESTAMP']);
    assert.equal(q.body.rows.length, 0);
  });

  test('s3:// slices (an AWS stack) are read from S3 with the temporary credentials, signed', async () => {
    kbc.addTable({ id: 'in.c-aws.visits', columns: ['id', 'page'], types: { id: 'INTEGER' }, sliced: true, gzip: true, slices: 3, s3: true,
      rows: Array.from({ length: 30 }, (_, i) => [String(i), `/p/${i % 5}`]) });
    await register({ name: 'visits', source_table: 'in.c-aws.visits', sync_strategy: 'full_refresh' });
    kbc.s3Requests.length = 0;
    const r = await extract(['visits'], { DA_KEBOOLA_S3_ENDPOINT: kbc.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).rows, 30);
    assert.equal(kbc.s3Requests.length, 3, 'three slices fetched from the fake S3');
    assert.ok(kbc.s3Requests.every((q) => q.ok), 'each with a valid SigV4 signature');
    assert.match(kbc.s3Requests[0].authorization, /Credential=ASIAFAKEKEBOOLA00001\/\d{8}\/eu-central-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token/);
    for (const s of [kbc.s3.secret, kbc.s3.token]) assert.ok(!r.stderr.includes(s), 'no credential in the log');
    const q = await rows('SELECT count(*), count(DISTINCT page), sum(id) FROM visits', (x) => x.status === 200 && x.body.rows[0][0] === 30);
    assert.deepEqual(q.body.rows[0], [30, 5, 435]);
  });

  test('credentials S3 refuses fail the run with a clear message and no secret; the old data stays', async () => {
    kbc.s3WrongSecret(true);
    kbc.s3Requests.length = 0;
    const r = await extract(['visits'], { DA_KEBOOLA_S3_ENDPOINT: kbc.url });
    kbc.s3WrongSecret(false);
    assert.equal(r.code, 1);
    assert.ok(kbc.s3Requests.length >= 1 && kbc.s3Requests.every((q) => !q.ok), 'the fake refused the signature');
    assert.match(r.stderr.trim().split('\n').pop(), /S3 refused the temporary credentials Keboola gave \(127\.0\.0\.1 answered 403\)/);
    for (const s of [kbc.s3.secret, kbc.s3.wrong, kbc.s3.token]) assert.ok(!r.stderr.includes(s), 'no credential in the log');
    assert.equal((await rows('SELECT count(*) FROM visits')).body.rows[0][0], 30);
  });

  test('s3:// slices without usable credentials fail by field name, never by value', async () => {
    kbc.addTable({ id: 'in.c-aws.odd', columns: ['id'], sliced: true, slices: 1, s3: true, rows: [['1']] });
    await register({ name: 'odd', source_table: 'in.c-aws.odd', sync_strategy: 'full_refresh' });
    const saved = kbc.s3.region;
    kbc.s3.region = 'eu-central-1.evil.com';
    const r = await extract(['odd'], { DA_KEBOOLA_S3_ENDPOINT: kbc.url });
    kbc.s3.region = saved;
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim().split('\n').pop(), /slice 1 of 1: Keboola's file answer has an unusable region \(needed for s3:\/\/ slices\)/);
    assert.ok(!r.stderr.includes(kbc.s3.secret));
  });

  test('the served tables obey grants: an analyst without one gets 403', async () => {
    const r = await api(server, 'POST', '/api/query', { token: analyst, body: { sql: 'SELECT * FROM orders' } });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.ok(existsSync(join(server.dataDir, 'extracts', 'keboola', 'extract.duckdb')));
    assert.ok(!existsSync(join(server.dataDir, 'extracts', 'keboola', '.keboola-download')));
  });

  // The path for an admin: a registered table, a sync triggered over the API, the
  // scheduler's job (a child `da extract keboola` with the server's Keboola variables) seen
  // in /api/jobs, and the new data served.
  test('a sync triggered over the API runs as a job and its data is served', async () => {
    kbc.setRows('in.c-main.orders', [
      ['1', 'Ann', '10.50', 'true', '2026-01-02', '2026-01-02 10:00:00', '0.5'],
      ['4', 'Dee', '99', 'false', '2026-02-01', '2026-02-01 08:00:00', '1'],
    ]);
    const t = await asAdmin('POST', '/api/sync/trigger', { source: 'keboola', tables: ['orders'] });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    assert.equal(t.body.job_ids.length, 1);
    const id = t.body.job_ids[0];
    const job = await eventually(async () => {
      const r = await asAdmin('GET', `/api/jobs/${id}`);
      return r.status === 200 && ['succeeded', 'failed'].includes(r.body.state) ? r.body : null;
    }, 'the job to end', 60000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.source, 'keboola');
    assert.equal(job.trigger, 'manual');
    assert.equal(job.rows, 2);
    assert.ok(!JSON.stringify(job).includes(TOKEN), 'the token is in no job field or log');
    const q = await rows('SELECT id FROM orders ORDER BY id', (r) => r.status === 200 && r.body.rows.length === 2);
    assert.deepEqual(q.body.rows, [[1], [4]]);
    const denied = await api(server, 'POST', '/api/query', { token: analyst, body: { sql: 'SELECT * FROM orders' } });
    assert.equal(denied.status, 403);
  });
});

// jobs.test.mjs — the scheduler inside a real `da serve`, with files sources from instance.yaml:
// a scheduled source runs by itself; POST /api/sync/trigger queues a job that runs the
// connector as a child process, GET /api/jobs shows it succeeded with its rows and log, and
// the table is queryable; a failing source is retried and stays failed with its error; bad
// input and non-admins are refused; kill -9 of the server during a slow run leaves the old
// extract served and the job failed and retried at the next start, where it can be
// cancelled; `da admin jobs` and `da admin sync` drive the same API.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  startServer, api, login, identityEnv, adminAndAnalyst, ADMIN, tempDir, removeDir, writeConfig,
  runDa,
} from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('scheduler and jobs', () => {
  let dir, dataDir, configPath, server, admin, analyst;
  const env = identityEnv();

  before(async () => {
    dir = tempDir('da-jobs-');
    dataDir = join(dir, 'data');
    for (const d of ['shop', 'ticking', 'big', 'data']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'shop', 'orders.csv'), 'id,amount\n1,10\n2,20\n3,30\n');
    writeFileSync(join(dir, 'ticking', 'ticks.csv'), 'n\n1\n');
    writeFileSync(join(dir, 'big', 'big.csv'), 'n\n1\n2\n3\n');
    configPath = writeConfig(dir, `instance:
  timezone: Europe/Prague
scheduler:
  max_attempts: 2
  backoff_base_s: 1
sources:
  - {name: shop, type: files, from: ${join(dir, 'shop')}}
  - {name: ticking, type: files, schedule: every 60m, from: ${join(dir, 'ticking')}}
  - {name: broken, type: files, from: ${join(dir, 'missing')}}
  - {name: big, type: files, from: ${join(dir, 'big')}}
`);
    server = await startServer({ dataDir, env, args: ['--config', configPath] });
    ({ admin, analyst } = await adminAndAnalyst(server));
  });
  after(async () => {
    if (server) assert.equal((await server.stop({ keepData: true })).code, 0);
    removeDir(dir);
  });

  const asAdmin = (method, path, body) => api(server, method, path, { token: admin, body });
  const trigger = (body) => asAdmin('POST', '/api/sync/trigger', body);

  // Polls job id until pred(job) holds (a guard of a minute, not a timing assertion).
  async function waitJob(id, pred = (j) => !['queued', 'running'].includes(j.state)) {
    for (let i = 0; i < 600; i++) {
      const r = await asAdmin('GET', `/api/jobs/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (pred(r.body)) return r.body;
      await sleep(100);
    }
    throw new Error(`job ${id} did not get there`);
  }

  async function count(table) {
    const r = await asAdmin('POST', '/api/query', { sql: `SELECT count(*) AS n FROM ${table}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.rows[0][0];
  }

  test('a scheduled source runs by itself when it has never run', async () => {
    let job;
    for (let i = 0; i < 600 && !job; i++) {
      const r = await asAdmin('GET', '/api/jobs?source=ticking');
      assert.equal(r.status, 200);
      job = r.body.jobs.find((j) => j.state === 'succeeded');
      if (!job) await sleep(100);
    }
    assert.ok(job, 'the ticking source ran');
    assert.equal(job.trigger, 'schedule');
    assert.equal(job.rows, 1);
  });

  test('a manual trigger runs the connector; the job says so and the table is served', async () => {
    const r = await trigger({ source: 'shop' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.job_ids.length, 1);
    const job = await waitJob(r.body.job_ids[0]);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.trigger, 'manual');
    assert.equal(job.requested_by, ADMIN.email);
    assert.equal(job.rows, 3);
    assert.ok(job.bytes > 0);
    assert.match(job.log_tail, /"rows": 3/);
    assert.ok(!job.log_tail.includes(dataDir), 'the data folder is redacted from the log');
    const list = await asAdmin('GET', '/api/jobs?source=shop&state=succeeded&limit=5');
    assert.equal(list.status, 200);
    assert.ok(list.body.jobs.some((j) => j.id === job.id));
    // the catalog took the new extract once the job ended
    assert.equal(await count('orders'), 3);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /da_jobs_total\{source="shop",outcome="succeeded"\} 1/);
    assert.match(metrics, /da_source_last_success_timestamp_seconds\{source="shop"\} \d+/);
    assert.match(metrics, /da_job_duration_seconds_count\{source="shop"\} 1/);
  });

  test('a failing source is retried, then stays failed with its error', async () => {
    const r = await trigger({ source: 'broken' });
    assert.equal(r.status, 202);
    const job = await waitJob(r.body.job_ids[0]);
    assert.equal(job.state, 'failed');
    assert.equal(job.attempt, 2);
    assert.match(job.error, /cannot open .*missing/);
    assert.equal(job.rows, null);
  });

  test('bad input is refused naming the field; unknown sources 404; non-admins 403', async () => {
    const wrongType = await trigger({ source: 5 });
    assert.equal(wrongType.status, 422);
    assert.match(wrongType.body.detail, /source/);
    const extra = await trigger({ source: 'shop', extra: 1 });
    assert.ok([400, 422].includes(extra.status), JSON.stringify(extra.body));
    assert.match(extra.body.detail, /extra/);
    const unknown = await trigger({ source: 'nope' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.detail, 'Unknown source');
    const badName = await trigger({ source: '../etc' });
    assert.equal(badName.status, 422);
    assert.match(badName.body.detail, /^source/);
    const noSource = await trigger({ tables: ['orders'] });
    assert.equal(noSource.status, 422);
    assert.match(noSource.body.detail, /^tables/);
    const filesTables = await trigger({ source: 'shop', tables: ['orders'] });
    assert.equal(filesTables.status, 422);
    assert.match(filesTables.body.detail, /^tables/);
    assert.equal((await trigger({ source: 'shop', tables: 'orders' })).status, 422);
    assert.equal((await asAdmin('GET', '/api/jobs?state=bogus')).status, 422);
    assert.equal((await asAdmin('GET', '/api/jobs?limit=0')).status, 422);
    assert.equal((await asAdmin('GET', '/api/jobs/999999')).status, 404);
    assert.equal((await asAdmin('GET', '/api/jobs/abc')).status, 404);
    assert.equal((await asAdmin('POST', '/api/jobs/999999/cancel')).status, 404);
    for (const [method, path, body] of [['POST', '/api/sync/trigger', { source: 'shop' }],
      ['GET', '/api/jobs'], ['GET', '/api/jobs/1'], ['POST', '/api/jobs/1/cancel']]) {
      const res = await api(server, method, path, { token: analyst, body });
      assert.equal(res.status, 403, `${method} ${path}`);
    }
    assert.equal((await api(server, 'GET', '/api/jobs')).status, 401);
  });

  test('da admin sync and da admin jobs list|show', async () => {
    const home = tempDir('da-jobs-home-');
    const cli = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DA_SERVER: server.url,
      DA_TOKEN: admin };
    try {
      const s = runDa(['admin', 'sync', 'shop'], { env: cli });
      assert.equal(s.code, 0, s.stderr);
      const id = Number(s.stdout.match(/queued job (\d+)/)[1]);
      await waitJob(id);
      const l = runDa(['admin', 'jobs', 'list'], { env: cli });
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, new RegExp(`^${id}\\tshop\\tmanual\\tsucceeded\\t1\\t`, 'm'));
      const none = runDa(['admin', 'jobs', 'list', '--source', 'shop', '--state', 'failed'],
        { env: cli });
      assert.equal(none.code, 0, none.stderr);
      assert.doesNotMatch(none.stdout, new RegExp(`^${id}\t`, 'm'), 'filtered by state');
      const one = runDa(['admin', 'jobs', 'list', '--source', 'shop', '--limit', '1', '--json'],
        { env: cli });
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(JSON.parse(one.stdout).jobs.map((j) => j.id), [id]);
      assert.equal(runDa(['admin', 'jobs', 'list', '--limit', 'x'], { env: cli }).code, 1);
      const sh = runDa(['admin', 'jobs', 'show', String(id)], { env: cli });
      assert.equal(sh.code, 0, sh.stderr);
      assert.match(sh.stdout, /succeeded of shop/);
      assert.match(sh.stdout, /rows 3/);
      const bad = runDa(['admin', 'sync', 'nope'], { env: cli });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Unknown source/);
      const denied = runDa(['admin', 'jobs', 'list'], { env: { ...cli, DA_TOKEN: analyst } });
      assert.equal(denied.code, 4, denied.stderr);
      assert.equal(runDa(['admin', 'sync', 'a', 'b'], { env: cli }).code, 2);
    } finally {
      removeDir(home);
    }
  });

  test('kill -9 during a slow run: the old extract stays served, the job fails and is retried', async () => {
    const first = await trigger({ source: 'big' });
    assert.equal((await waitJob(first.body.job_ids[0])).state, 'succeeded');
    assert.equal(await count('big'), 3);
    // a slow real input: 150 million rows of CSV, gzipped small
    rmSync(join(dir, 'big', 'big.csv'));
    const chunk = Buffer.from('1\n'.repeat(1 << 20));
    writeFileSync(join(dir, 'big', 'big.csv.gz'),
      gzipSync(Buffer.concat([Buffer.from('n\n'), ...Array(150).fill(chunk)]), { level: 1 }));
    const slow = await trigger({ source: 'big' });
    const id = slow.body.job_ids[0];
    await waitJob(id, (j) => j.state === 'running');
    server.child.kill('SIGKILL');
    assert.equal((await server.exited).signal, 'SIGKILL');

    server = await startServer({ dataDir, env, args: ['--config', configPath] });
    admin = await login(server, ADMIN.email, ADMIN.password);
    assert.equal(await count('big'), 3, 'the previous extract is still served');
    const old = (await asAdmin('GET', `/api/jobs/${id}`)).body;
    assert.equal(old.state, 'failed');
    assert.equal(old.error, 'the server stopped before the job ended');
    const retry = (await asAdmin('GET', '/api/jobs?source=big&limit=1')).body.jobs[0];
    assert.equal(retry.trigger, 'startup');
    assert.equal(retry.attempt, 2);
    // cancel the retry while it runs (or before it starts): its process is killed
    const c = await asAdmin('POST', `/api/jobs/${retry.id}/cancel`);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.state, 'cancelled');
    const done = await waitJob(retry.id, (j) => j.state === 'cancelled' && j.finished_at);
    assert.equal(done.state, 'cancelled');
    assert.equal((await asAdmin('POST', `/api/jobs/${retry.id}/cancel`)).status, 409);
    assert.equal(await count('big'), 3);
  });
});

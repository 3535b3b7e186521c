// sync_client.test.mjs — `da sync` against a real server: the first sync downloads every file
// the analyst may read and no other; a second sync downloads zero bytes; a changed table
// re-downloads only its file; a revoked grant removes the local copy; an interrupted download
// resumes with a Range (the audit shows a "partial" download); a download corrupted on the way
// (tests/fakes/corrupt_proxy.mjs) or on disk, or longer than its file, is rejected and fetched
// again, and one that stays corrupt fails that file only; piped output has no progress noise; the exit codes. The local
// folder's da.duckdb is checked through DATA.md, whose row counts and columns come from its
// views. Each test has its own HOME and XDG folders.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DA_BIN, startServer, api, login, identityEnv, runDa, tempDir, removeDir, adminAndAnalyst, cleanEnv,
} from './lib/server.mjs';
import { startCorruptProxy } from '../fakes/corrupt_proxy.mjs';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ANALYST = { email: 'ana@example.com', password: 'analyst-password-123' };
const GRANTED = ['events', 'prices', 'users'];

describe('da sync', () => {
  let server;
  let admin;
  let analyst; // a session token of the analyst
  let analystId;
  const dirs = [];

  // A source folder for `da extract files`: name -> CSV text ('events/2024-01.csv' makes a folder).
  function extract(source, files) {
    const inDir = tempDir('da-e2e-in-');
    dirs.push(inDir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(inDir, name, '..'), { recursive: true });
      writeFileSync(join(inDir, name), text);
    }
    const r = runDa(['extract', 'files', '--source', source, '--from', inDir, '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  before(async () => {
    server = await startServer({ env: identityEnv() });
    extract('shop', {
      'events/2024-01.csv': 'id,kind,amount\n1,view,0\n2,buy,10.5\n',
      'events/2024-02.csv': 'id,kind,amount\n3,view,0\n4,view,0\n5,buy,7.25\n',
      'users.csv': 'id,name\n1,Ann\n2,Bob\n',
    });
    extract('pricing', { 'prices.csv': 'sku,price\na,1.5\nb,2\n' });
    extract('vault', { 'secret.csv': 'k,v\n1,hidden\n' });
    ({ admin, analystId } = await adminAndAnalyst(server, ANALYST.email));
    analyst = await login(server, ANALYST.email, ANALYST.password);
    for (const name of [...GRANTED, 'secret']) {
      const reg = await api(server, 'POST', '/api/admin/register-table', { token: admin, body: { name } });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
    }
    for (const dataset of GRANTED) {
      const g = await api(server, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: analystId, dataset } });
      assert.equal(g.status, 201, JSON.stringify(g.body));
    }
    // all three sources in one generation (the admin's manifest lists vault's table too), so
    // no rebuild for a late source changes the generation under the first sync
    await eventually(async () => Object.keys((await manifest()).tables).length === 3 &&
      'secret' in (await manifest(admin)).tables, 'the three sources served');
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    for (const d of dirs) removeDir(d);
  });

  async function eventually(check, what, ms = 20000) {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function manifest(token = analyst) {
    const m = await api(server, 'GET', '/api/sync/manifest', { token });
    assert.equal(m.status, 200, JSON.stringify(m.body));
    return m.body;
  }

  // The analyst's downloads in the audit log, oldest first; after (an id) keeps the later ones.
  async function downloads(after = 0) {
    const r = await api(server, 'GET', `/api/admin/audit?action=download&actor_id=${analystId}&limit=1000`, { token: admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.entries.filter((e) => e.id > after).sort((a, b) => a.id - b.id);
  }
  const lastDownload = async () => Math.max(0, ...(await downloads()).map((e) => e.id));

  // A fresh client home, logged in as the analyst: { env, home, defaultDir }.
  function client() {
    const home = tempDir('da-sync-client-');
    dirs.push(home);
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), XDG_DATA_HOME: join(home, 'share') };
    const r = runDa(['login', '--server', server.url, '--email', ANALYST.email, '--password-stdin'],
      { env, input: `${ANALYST.password}\n` });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return { env, home, defaultDir: join(home, 'share', 'da', `127.0.0.1_${server.port}`) };
  }

  // `da sync --json ARGS`: { code, stderr, summary }.
  function sync(c, args = [], env = {}) {
    const r = runDa(['sync', '--json', ...args], { env: { ...c.env, ...env } });
    let summary = null;
    try { summary = JSON.parse(r.stdout); } catch { /* not JSON: the assertions say so */ }
    return { code: r.code, stderr: r.stderr, stdout: r.stdout, summary };
  }

  // The same without blocking this process, whose event loop serves the fake proxy.
  function syncAsync(c, args = [], env = {}) {
    return new Promise((resolve) => {
      const child = spawn(DA_BIN, ['sync', '--json', ...args], { env: cleanEnv({ ...c.env, ...env }) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => {
        let summary = null;
        try { summary = JSON.parse(stdout); } catch { /* not JSON: the assertions say so */ }
        resolve({ code, stderr, stdout, summary });
      });
    });
  }

  // Every file of the manifest is in dir with its digest, and nothing else is in tables/.
  function assertFolderMatches(dir, m) {
    const want = [];
    for (const [id, t] of Object.entries(m.tables)) {
      for (const f of t.files) {
        const rel = t.files.length > 1 ? join('tables', id, f.name) : join('tables', `${id}.parquet`);
        want.push(rel);
        const bytes = readFileSync(join(dir, rel));
        assert.equal(sha256(bytes), f.sha256, rel);
      }
    }
    const have = [];
    for (const e of readdirSync(join(dir, 'tables'), { withFileTypes: true })) {
      if (e.isDirectory()) {
        for (const f of readdirSync(join(dir, 'tables', e.name))) have.push(join('tables', e.name, f));
      } else have.push(join('tables', e.name));
    }
    assert.deepEqual(have.sort(), want.sort());
  }

  const state = (dir) => JSON.parse(readFileSync(join(dir, '.da', 'state.json'), 'utf8'));
  const dataMd = (dir) => readFileSync(join(dir, 'DATA.md'), 'utf8');

  let first; // the client of the first tests, synced once

  test('the first sync downloads every permitted file and no other', async () => {
    first = client();
    const before = await lastDownload();
    const r = sync(first);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr when it is not a terminal');
    const m = await manifest();
    assert.deepEqual(Object.keys(m.tables).sort(), GRANTED);
    const s = r.summary;
    assert.equal(s.dir, first.defaultDir, 'the default folder: $XDG_DATA_HOME/da/<host>_<port>');
    assert.equal(s.downloaded_files, 4);
    const total = Object.values(m.tables).reduce((n, t) => n + t.size_bytes, 0);
    assert.equal(s.downloaded_bytes, total);
    assert.equal(s.unchanged, 0);
    assert.equal(s.removed, 0);
    assert.deepEqual(s.failed, []);
    assert.equal(s.tables, 3);
    assert.ok(s.duration_s >= 0);
    assertFolderMatches(s.dir, m);
    assert.ok(!existsSync(join(s.dir, 'tables', 'secret.parquet')));

    const st = state(s.dir);
    assert.equal(st.server, server.url);
    assert.equal(st.generation, m.generation);
    assert.match(st.synced_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(Object.keys(st.tables).sort(), GRANTED);
    assert.equal(st.tables.events.hash, m.tables.events.hash);
    assert.equal(st.tables.events.rows, 5);
    assert.deepEqual(Object.keys(st.tables.events.files), ['2024-01.parquet', '2024-02.parquet']);
    assert.equal(st.tables.users.files['users.parquet'].sha256, m.tables.users.hash);

    // da.duckdb's views, seen through DATA.md: rows and columns come from them
    assert.ok(existsSync(join(s.dir, 'da.duckdb')));
    const md = dataMd(s.dir);
    assert.match(md, new RegExp(`^# Data from ${server.url}\n`));
    assert.match(md, /### events\n\nLoaded from the 2 files in the folder events\.\n\n5 rows, data as of [0-9T:-]+Z, 2 files in tables\/events\/\. Columns:\n\n- id BIGINT\n- kind VARCHAR\n- amount DOUBLE\n/);
    assert.match(md, /### prices\n\n[^\n]+\n\n2 rows, data as of [^\n]*\n\n- sku VARCHAR\n- price DOUBLE\n/);
    assert.match(md, /### users\n\n[^\n]+\n\n2 rows/);
    assert.ok(!md.includes('secret'));
    assert.deepEqual(readdirSync(join(s.dir, '.da', 'partial')), [], 'no partial files left');

    const mine = await downloads(before);
    assert.equal(mine.length, 4, 'one download per file');
    assert.ok(mine.every((e) => GRANTED.includes(e.target) && e.result === 'ok'));
  });

  test('a second sync downloads zero bytes', async () => {
    const before = await lastDownload();
    const r = sync(first);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.summary.downloaded_files, 0);
    assert.equal(r.summary.downloaded_bytes, 0);
    assert.equal(r.summary.unchanged, 4);
    assert.equal(r.summary.removed, 0);
    assert.equal(r.summary.tables, 3);
    assert.deepEqual(await downloads(before), [], 'not one download asked for');
    assertFolderMatches(r.summary.dir, await manifest());
  });

  test('a changed table re-downloads only its file', async () => {
    const old = (await manifest()).tables.prices.hash;
    extract('pricing', { 'prices.csv': 'sku,price\na,1.5\nb,2\nc,3.25\n' });
    await eventually(async () => (await manifest()).tables.prices.hash !== old, 'the new prices');
    const before = await lastDownload();
    const r = sync(first);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.downloaded_files, 1);
    assert.equal(r.summary.unchanged, 3);
    const m = await manifest();
    assert.equal(r.summary.downloaded_bytes, m.tables.prices.size_bytes);
    assertFolderMatches(r.summary.dir, m);
    const fresh = await downloads(before);
    assert.deepEqual(fresh.map((e) => e.target), ['prices']);
    assert.equal(state(r.summary.dir).tables.prices.hash, m.tables.prices.hash);
    assert.match(dataMd(r.summary.dir), /### prices\n\n[^\n]+\n\n3 rows/);
  });

  test('a revoked grant removes the local copy', async () => {
    const dir = first.defaultDir;
    assert.ok(existsSync(join(dir, 'tables', 'events', '2024-01.parquet')));
    const revoke = async (dataset) => {
      const r = await api(server, 'DELETE', '/api/admin/permissions', { token: admin, body: { user_id: analystId, dataset } });
      assert.ok([200, 204].includes(r.status), JSON.stringify(r.body));
    };
    await revoke('events');
    await revoke('users');
    try {
      const r = sync(first);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.summary.removed, 3, 'two parts of events and the users file');
      assert.deepEqual(r.summary.removed_tables, ['events', 'users']);
      assert.equal(r.summary.downloaded_files, 0);
      assert.equal(r.summary.tables, 1);
      assert.ok(!existsSync(join(dir, 'tables', 'events')));
      assert.ok(!existsSync(join(dir, 'tables', 'users.parquet')));
      assertFolderMatches(dir, await manifest());
      assert.deepEqual(Object.keys(state(dir).tables), ['prices']);
      const md = dataMd(dir);
      assert.ok(!md.includes('### events') && !md.includes('### users'));
    } finally {
      for (const dataset of ['events', 'users']) {
        await api(server, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: analystId, dataset } });
      }
    }
    // granted again: back with the next sync
    const again = sync(first);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.summary.downloaded_files, 3);
    assertFolderMatches(dir, await manifest());
  });

  test('an interrupted download resumes with a range', async () => {
    const c = client();
    const dir = join(c.home, 'mine');
    const m = await manifest();
    const f = m.tables.events.files.find((x) => x.name === '2024-02.parquet');
    const res = await fetch(`${server.url}${f.url}`, { headers: { Authorization: `Bearer ${analyst}` } });
    const whole = Buffer.from(await res.arrayBuffer());
    const half = whole.length >> 1;
    mkdirSync(join(dir, '.da', 'partial'), { recursive: true });
    writeFileSync(join(dir, '.da', 'partial', `events--${f.name}--${f.sha256}.part`), whole.subarray(0, half));
    // the part of an older version of the file is not resumed but dropped
    writeFileSync(join(dir, '.da', 'partial', `events--${f.name}--${'0'.repeat(64)}.part`), 'stale');

    const r = sync(c, ['--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.summary.dir, dir);
    assert.equal(r.summary.downloaded_files, 4);
    const total = Object.values(m.tables).reduce((n, t) => n + t.size_bytes, 0);
    assert.equal(r.summary.downloaded_bytes, total - half, 'the first half was not downloaded again');
    assertFolderMatches(dir, m);
    assert.deepEqual(readdirSync(join(dir, '.da', 'partial')), []);
    const partial = (await downloads()).find((e) => e.target === 'events' && e.result === 'partial');
    assert.ok(partial, 'the audit shows a partial download');
    assert.equal(partial.detail, `${f.name} bytes=${half}-${whole.length}`);
    // the folder is remembered for the server
    const again = sync(c);
    assert.equal(again.summary.dir, dir);
    assert.equal(again.summary.downloaded_files, 0);
  });

  test('a corrupted download is rejected and fetched again', async () => {
    const proxy = await startCorruptProxy(server.url, { corrupt: 1 });
    try {
      const c = client();
      const dir = join(c.home, 'via-proxy');
      const r = await syncAsync(c, ['--dir', dir], { DA_SERVER: proxy.url, DA_TOKEN: analyst });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.deepEqual(r.summary.failed, []);
      assert.equal(r.summary.downloaded_files, 4);
      assertFolderMatches(dir, await manifest());
      const files = proxy.requests.filter((q) => q.path.startsWith('/api/data/'));
      const bad = files.filter((q) => q.corrupted);
      assert.equal(bad.length, 1);
      const retried = files.filter((q) => q.path === bad[0].path);
      assert.equal(retried.length, 2, 'the corrupted file was downloaded once more');
      assert.equal(retried[1].range, null, 'from zero');
    } finally {
      await proxy.stop();
    }

    // a partial on disk whose bytes are wrong: rejected, and the file downloaded whole
    const c = client();
    const dir = join(c.home, 'bad-part');
    const f = (await manifest()).tables.users.files[0];
    mkdirSync(join(dir, '.da', 'partial'), { recursive: true });
    writeFileSync(join(dir, '.da', 'partial', `users--${f.name}--${f.sha256}.part`), Buffer.alloc(f.size_bytes - 3, 7));
    const r = sync(c, ['--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assertFolderMatches(dir, await manifest());
  });

  test('an answer longer than its file is cut off and fetched again', async () => {
    const proxy = await startCorruptProxy(server.url, { corrupt: 1, extra: 4 << 20 });
    try {
      const c = client();
      const dir = join(c.home, 'too-long');
      const r = await syncAsync(c, ['--dir', dir], { DA_SERVER: proxy.url, DA_TOKEN: analyst });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.summary.failed, []);
      assertFolderMatches(dir, await manifest());
      const bad = proxy.requests.find((q) => q.corrupted);
      assert.ok(bad);
      assert.equal(proxy.requests.filter((q) => q.path === bad.path).length, 2);
      assert.ok(r.summary.downloaded_bytes < Object.values((await manifest()).tables)
        .reduce((n, t) => n + t.size_bytes, 0) + (4 << 20), 'the long answer was not read to its end');
    } finally {
      await proxy.stop();
    }
  });

  test('a download that stays corrupt fails that file only', async () => {
    const m = await manifest();
    const proxy = await startCorruptProxy(server.url, { corrupt: 1000 });
    try {
      const c = client();
      const dir = join(c.home, 'always-bad');
      const r = await syncAsync(c, ['--dir', dir], { DA_SERVER: proxy.url, DA_TOKEN: analyst });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.summary.failed.length, 4, JSON.stringify(r.summary.failed));
      for (const f of r.summary.failed) {
        assert.match(f.error, /does not match its SHA-256, again after downloading it anew/);
        assert.ok(r.stderr.includes(`da sync: ${f.table}/${f.file}: `), r.stderr);
      }
      assert.equal(r.summary.downloaded_files, 0);
      assert.equal(r.summary.tables, 0);
      assert.deepEqual(readdirSync(join(dir, 'tables')), []);
      assert.deepEqual(state(dir).tables, {});
      // two tries per file
      assert.equal(proxy.requests.filter((q) => q.corrupted).length, 8);
      assert.ok(Object.keys(m.tables).length === 3);
    } finally {
      await proxy.stop();
    }
  });

  test('piped output has no progress noise', () => {
    const c = client();
    const r = runDa(['sync'], { env: c.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'stderr is empty when it is not a terminal');
    assert.match(r.stdout, /^Synced 3 tables into \S+: 4 files downloaded \([0-9.]+ (?:B|KiB|MiB)\), 0 unchanged, 0 removed \([0-9.]+ s\)\.\n$/);
    const quiet = runDa(['sync', '--quiet'], { env: c.env });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');
    assert.equal(quiet.stderr, '');
  });

  test('exit codes: usage 2, not logged in 4, unreachable 3, a folder not for this sync 2', () => {
    const c = client();
    for (const args of [['--jobs', '0'], ['--jobs', 'x'], ['--nope'], ['extra'], ['--json', '--quiet'], ['--dir']]) {
      const r = runDa(['sync', ...args], { env: c.env });
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, /^da sync: /);
    }
    const help = runDa(['sync', '--help'], { env: c.env });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n {2}0 .*\n {2}1 /);
    const home = tempDir('da-sync-nologin-');
    dirs.push(home);
    const nologin = runDa(['sync', '--server', server.url], { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'c'), XDG_DATA_HOME: join(home, 'd') } });
    assert.equal(nologin.code, 4, nologin.stderr);
    assert.match(nologin.stderr, /not logged in/);
    const refused = runDa(['sync', '--server', server.url], { env: { ...c.env, DA_TOKEN: 'da_pat_nonsense' } });
    assert.equal(refused.code, 4, refused.stderr);
    const down = runDa(['sync', '--server', 'http://127.0.0.1:1', '--dir', join(c.home, 'down')], { env: { ...c.env, DA_TOKEN: 'x' } });
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /cannot reach/);
    // a folder synced from one server is not mixed with another's data
    const dir = join(c.home, 'one');
    assert.equal(sync(c, ['--dir', dir]).code, 0);
    const other = runDa(['sync', '--server', 'http://127.0.0.1:1', '--dir', dir], { env: { ...c.env, DA_TOKEN: 'x' } });
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /holds the data of/);
    // nor is a folder of the user's own taken over (its tables/ would lose what da does not know)
    const own = join(c.home, 'own');
    mkdirSync(join(own, 'tables'), { recursive: true });
    writeFileSync(join(own, 'tables', 'mine.csv'), 'precious');
    const refusedDir = runDa(['sync', '--dir', own], { env: c.env });
    assert.equal(refusedDir.code, 2, refusedDir.stderr);
    assert.match(refusedDir.stderr, /is not empty and was never synced/);
    assert.equal(readFileSync(join(own, 'tables', 'mine.csv'), 'utf8'), 'precious');
  });
});

// sync_select_client.test.mjs — the client side of sync selection (#20) against a real server:
// `da tables disable` keeps a table out of `da sync` (and a sync removes a local copy, its view
// and its DATA.md entry; `da tables enable` brings it back); `da sync --table T` syncs a
// switched-off table once and leaves every other local file and the settings alone; an unknown
// --table fails naming it; `da sync --dry-run` writes nothing at all (the whole client home
// compared file by file); a sync into a small tmpfs is refused before writing (exit 5) and the
// folder stays usable; a disk that fills up between the space check and a download (a proxy
// fills the tmpfs when the first file is asked for) fails that table only, keeps its previous
// copy readable, and leaves no partial behind. The tmpfs tests mount a filesystem (the tests
// run as root); a failing mount fails the test. Each client has its own HOME and analyst.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, mkdirSync, readFileSync, readdirSync, lstatSync, writeFileSync, openSync, writeSync,
  closeSync, statfsSync, rmSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  DA_BIN, startServer, api, login, identityEnv, runDa, tempDir, removeDir, ADMIN, cleanEnv,
} from './lib/server.mjs';

const PASSWORD = 'analyst-password-123';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// Every file and folder under root: relpath -> "type size mtime inode", to prove nothing changed.
function tree(root) {
  const out = {};
  const walk = (dir, rel) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      out[r] = `${st.isDirectory() ? 'd' : 'f'} ${st.isDirectory() ? 0 : st.size} ${st.mtimeMs} ${st.ino}`;
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
  return out;
}

function mountTmpfs(dir, size) {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'none', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount tmpfs on ${dir} failed: ${r.stderr}`); // fails, never skips
}

function umount(dir) {
  spawnSync('umount', ['-l', dir]);
}

const localTable = (dir, id) =>
  existsSync(join(dir, 'tables', `${id}.parquet`)) || existsSync(join(dir, 'tables', id));

describe('da sync with a selection (demo server)', () => {
  let server;
  let admin;
  const dirs = [];
  const mounts = [];
  let n = 0;

  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    admin = await login(server, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    for (const m of mounts) umount(m);
    assert.equal((await server.stop()).code, 0);
    for (const d of dirs) removeDir(d);
  });

  // A new analyst with a fresh client home, logged in: { env, home, dir, token }.
  async function client(serverUrl = server.url) {
    const email = `ana${++n}@example.com`;
    const r = await api(server, 'POST', '/api/users', {
      token: admin, body: { email, name: email, role: 'analyst', password: PASSWORD },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const home = tempDir('da-select-client-');
    dirs.push(home);
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), XDG_DATA_HOME: join(home, 'share') };
    const l = runDa(['login', '--server', serverUrl, '--email', email, '--password-stdin'], { env, input: `${PASSWORD}\n` });
    assert.equal(l.code, 0, l.stdout + l.stderr);
    return { env, home, dir: join(home, 'sync'), token: await login(server, email, PASSWORD) };
  }

  const da = (c, args) => runDa(args, { env: c.env });
  function sync(c, args = []) {
    const r = da(c, ['sync', '--json', '--dir', c.dir, ...args]);
    let summary = null;
    try { summary = JSON.parse(r.stdout); } catch { /* the assertions say so */ }
    return { ...r, summary };
  }
  const dataMd = (c) => readFileSync(join(c.dir, 'DATA.md'), 'utf8');
  const count = (c, table) => da(c, ['query', '--dir', c.dir, '--format', 'json', `SELECT count(*) AS n FROM ${table}`]);
  const settings = async (c) => (await api(server, 'GET', '/api/settings', { token: c.token })).body;
  const enabledOf = async (c, id) => (await settings(c)).sync_settings.find((t) => t.table === id).enabled;

  test('da tables lists and switches; only switched-on tables land', async () => {
    const c = await client();
    const list = JSON.parse(da(c, ['tables', '--json']).stdout);
    assert.deepEqual(list.tables.map((t) => t.table), ['order_items', 'orders', 'products', 'web_sessions']);
    assert.ok(list.tables.every((t) => t.enabled && t.size_bytes > 0 && t.rows > 0));
    const off = da(c, ['tables', 'disable', 'web_sessions', 'orders']);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(await enabledOf(c, 'orders'), false);
    const text = da(c, ['tables']);
    assert.match(text.stdout, /^orders +demo +off +your switch /m);
    assert.match(text.stdout, /^products +demo +on +default /m);

    const r = sync(c);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(localTable(c.dir, 'products') && localTable(c.dir, 'order_items'));
    assert.ok(!localTable(c.dir, 'web_sessions') && !localTable(c.dir, 'orders'));
    assert.equal(r.summary.tables, 2);
    assert.doesNotMatch(dataMd(c), /### orders\n/);
    // status: switched off and not here is "off", not "missing"; exit 0
    const st = da(c, ['status', '--json', '--dir', c.dir]);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    const s = JSON.parse(st.stdout);
    assert.equal(s.counts.missing, 0);
    assert.equal(s.counts.off, 2);
    const orders = s.tables.find((t) => t.id === 'orders');
    assert.equal(orders.state, 'off');
    assert.equal(orders.enabled, false);
    assert.ok(orders.size_bytes > 0);

    // a name the user may not read, or that does not exist: exit 4, the same words
    for (const name of ['customers', 'no_such_table']) {
      const bad = da(c, ['tables', 'enable', name]);
      assert.equal(bad.code, 4, bad.stderr);
      assert.match(bad.stderr, new RegExp(`you may not read '${name}'`));
    }
  });

  test('da packages subscribes; --bucket switches a whole bucket', async () => {
    const c = await client();
    const made = await api(server, 'POST', '/api/packages', {
      token: admin, body: { name: 'sales-pack', description: 'orders for sales', tables: ['orders'] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const list = JSON.parse(da(c, ['packages', '--json']).stdout);
    const pack = list.packages.find((p) => p.name === 'sales-pack');
    assert.equal(pack.subscribed, false);
    assert.deepEqual(pack.tables, ['orders']);
    assert.match(da(c, ['packages']).stdout, /^sales-pack +no +orders +[\d.]+ KiB +orders for sales$/m);

    assert.equal(da(c, ['tables', 'disable', 'orders']).code, 0);
    const sub = da(c, ['packages', 'subscribe', 'sales-pack']);
    assert.equal(sub.code, 0, sub.stderr);
    const orders = (await settings(c)).sync_settings.find((t) => t.table === 'orders');
    assert.equal(orders.enabled, true);
    assert.equal(orders.enabled_by, 'package');
    assert.match(da(c, ['tables']).stdout, /^orders +demo +on +package sales-pack /m);
    assert.equal(da(c, ['packages', 'unsubscribe', 'sales-pack']).code, 0);
    assert.equal(JSON.parse(da(c, ['packages', '--json']).stdout).packages.find((p) => p.name === 'sales-pack').subscribed, false);
    const none = da(c, ['packages', 'subscribe', 'no-such-pack']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no package 'no-such-pack'/);

    // the whole bucket off: nothing lands; on again: everything
    const off = da(c, ['tables', 'disable', '--bucket', 'demo']);
    assert.equal(off.code, 0, off.stderr);
    assert.ok((await settings(c)).sync_settings.every((t) => !t.enabled));
    const r = sync(c);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.tables, 0);
    assert.equal(r.summary.downloaded_files, 0);
    const secret = da(c, ['tables', 'enable', '--bucket', 'no_such_bucket']);
    assert.equal(secret.code, 4);
    assert.match(secret.stderr, /you may not read bucket 'no_such_bucket'/);
    assert.equal(da(c, ['tables', 'enable', '--bucket', 'demo']).code, 0);
    assert.equal(sync(c).summary.tables, 4);
  });

  test('disable removes the local copy and its view; enable brings it back', async () => {
    const c = await client();
    const first = sync(c);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.summary.tables, 4);
    assert.equal(count(c, 'orders').code, 0);

    assert.equal(da(c, ['tables', 'disable', 'orders']).code, 0);
    const leaving = JSON.parse(da(c, ['status', '--json', '--dir', c.dir]).stdout);
    assert.equal(leaving.tables.find((t) => t.id === 'orders').state, 'leaving');
    const r = sync(c);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.summary.removed_disabled, ['orders']);
    assert.deepEqual(r.summary.removed_tables, []);
    assert.equal(r.summary.downloaded_files, 0);
    assert.ok(!localTable(c.dir, 'orders'));
    assert.doesNotMatch(dataMd(c), /### orders\n/);
    const q = count(c, 'orders');
    assert.notEqual(q.code, 0, 'the view of orders is gone');
    assert.equal(count(c, 'products').code, 0);
    const state = JSON.parse(readFileSync(join(c.dir, '.da', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.tables).sort(), ['order_items', 'products', 'web_sessions']);
    // the human summary names it too
    assert.equal(da(c, ['tables', 'enable', 'orders']).code, 0);
    assert.equal(da(c, ['tables', 'disable', 'orders']).code, 0);

    assert.equal(da(c, ['tables', 'enable', 'orders']).code, 0);
    const back = sync(c);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.summary.downloaded_files, 1);
    assert.ok(localTable(c.dir, 'orders'));
    assert.equal(JSON.parse(count(c, 'orders').stdout).rows[0][0], 10000);
  });

  test('--table syncs one table once, even switched off, and leaves the rest as it is', async () => {
    const c = await client();
    assert.equal(da(c, ['tables', 'disable', 'products', 'orders']).code, 0);
    assert.equal(sync(c).code, 0);
    assert.ok(!localTable(c.dir, 'products'));
    // now web_sessions is switched off too, but still here: --table must not remove it
    assert.equal(da(c, ['tables', 'disable', 'web_sessions']).code, 0);
    const before = tree(join(c.dir, 'tables'));
    const stateBefore = JSON.parse(readFileSync(join(c.dir, '.da', 'state.json'), 'utf8'));

    const r = sync(c, ['--table', 'products']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.downloaded_files, 1);
    assert.equal(r.summary.removed, 0);
    assert.deepEqual(r.summary.removed_disabled, []);
    const after = tree(join(c.dir, 'tables'));
    for (const [path, what] of Object.entries(before)) assert.equal(after[path], what, path);
    assert.ok(localTable(c.dir, 'products') && localTable(c.dir, 'web_sessions'));
    assert.ok(!localTable(c.dir, 'orders'));
    const state = JSON.parse(readFileSync(join(c.dir, '.da', 'state.json'), 'utf8'));
    for (const id of Object.keys(stateBefore.tables)) assert.deepEqual(state.tables[id], stateBefore.tables[id], id);
    assert.ok(state.tables.products);
    assert.equal(count(c, 'products').code, 0);
    assert.equal(count(c, 'web_sessions').code, 0);
    // the settings did not change
    assert.equal(await enabledOf(c, 'products'), false);
    assert.equal(await enabledOf(c, 'web_sessions'), false);

    // a table the server does not list: exit 1, named; a malformed id: exit 2; nothing written
    const quiet = tree(c.home);
    const unknown = sync(c, ['--table', 'products', '--table', 'customers']);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /no table 'customers'/);
    const bad = sync(c, ['--table', '../etc']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.deepEqual(tree(c.home), quiet);
  });

  test('--dry-run writes nothing and tells sizes', async () => {
    const c = await client();
    const man = (await api(server, 'GET', '/api/sync/manifest', { token: c.token })).body;
    const sizeOf = (id) => man.tables[id].files.reduce((a, f) => a + f.size_bytes, 0);
    // a folder that does not exist yet: still none afterwards, no setting remembered
    const home0 = tree(c.home);
    const r = da(c, ['sync', '--dry-run', '--json', '--dir', c.dir]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(tree(c.home), home0);
    assert.ok(!existsSync(c.dir));
    assert.deepEqual(plan.download.map((t) => t.table), ['order_items', 'orders', 'products', 'web_sessions']);
    for (const t of plan.download) assert.equal(t.bytes, sizeOf(t.table), t.table);
    assert.equal(plan.download_bytes, Object.keys(man.tables).reduce((a, id) => a + sizeOf(id), 0));
    assert.equal(plan.needed_bytes, plan.download_bytes);
    assert.ok(plan.available_bytes > 0);
    assert.equal(plan.min_free_bytes, 1024 ** 3);
    assert.equal(typeof plan.enough, 'boolean');

    // after a sync, with a table switched off: it would be removed; still nothing written
    assert.equal(sync(c, ['--min-free', '0']).code, 0);
    assert.equal(da(c, ['tables', 'disable', 'orders']).code, 0);
    const home1 = tree(c.home);
    const r2 = da(c, ['sync', '--dry-run', '--json', '--dir', c.dir, '--min-free', '500M']);
    assert.equal(r2.code, 0, r2.stderr);
    const plan2 = JSON.parse(r2.stdout);
    assert.deepEqual(plan2.download, []);
    assert.deepEqual(plan2.remove, [{ table: 'orders', bytes: sizeOf('orders'), reason: 'disabled' }]);
    assert.equal(plan2.remove_bytes, sizeOf('orders'));
    assert.equal(plan2.min_free_bytes, 500 * 1024 ** 2);
    const text = da(c, ['sync', '--dry-run', '--dir', c.dir]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /nothing was written/);
    assert.match(text.stdout, /orders .*switched off/);
    assert.deepEqual(tree(c.home), home1);
    assert.ok(localTable(c.dir, 'orders'));
  });

  test('a sync that would not fit is refused before writing (exit 5); the folder stays usable', async () => {
    const c = await client();
    const mnt = tempDir('da-select-tmpfs-');
    dirs.push(mnt);
    mountTmpfs(mnt, '4m');
    mounts.push(mnt);
    try {
      c.dir = join(mnt, 'sync');
      const one = sync(c, ['--table', 'products', '--min-free', '0']);
      assert.equal(one.code, 0, one.stderr);
      const before = tree(c.home);
      const beforeMnt = tree(mnt);
      // the default margin (1 GiB) cannot stay free on a 4 MiB disk
      const r = sync(c);
      assert.equal(r.code, 5, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`not enough disk space in ${c.dir}`));
      assert.match(r.stderr, /must stay free \(--min-free\)/);
      assert.match(r.stderr, /The largest tables to download:\n {2}orders +[\d.]+ KiB\n {2}web_sessions +[\d.]+ KiB\n {2}order_items +[\d.]+ KiB\n/);
      assert.match(r.stderr, /da tables disable/);
      assert.deepEqual(tree(mnt), beforeMnt);
      assert.deepEqual(tree(c.home), before);
      assert.equal(count(c, 'products').code, 0);
      // a folder that does not exist yet is not even made
      const fresh = da(c, ['sync', '--dir', join(mnt, 'new')]);
      assert.equal(fresh.code, 5);
      assert.ok(!existsSync(join(mnt, 'new')));
      // with a margin that fits, the same folder syncs
      const ok = sync(c, ['--min-free', '1M']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.summary.tables, 4);
    } finally {
      umount(mnt);
    }
  });
});

// A server over extracts, so a table can change; a proxy fills the disk when the first file
// download arrives.
describe('da sync when the disk fills up mid-sync', () => {
  let server;
  let admin;
  const dirs = [];
  let mnt;
  const FULL = 'full@example.com';

  function extract(source, files) {
    const inDir = tempDir('da-select-in-');
    dirs.push(inDir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(inDir, name), text);
    const r = runDa(['extract', 'files', '--source', source, '--from', inDir, '--data-dir', server.dataDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  // n rows of random hex: Parquet cannot shrink it much
  const noise = (n, seed) => {
    let s = 'id,v\n';
    for (let i = 0; i < n; i++) s += `${i},${createHash('sha256').update(`${seed}${i}`).digest('hex')}\n`;
    return s;
  };

  before(async () => {
    server = await startServer({ env: identityEnv() });
    admin = await login(server, ADMIN.email, ADMIN.password);
    extract('alpha', { 'a_first.csv': 'k\n1\n' });
    extract('beta', { 'big.csv': noise(100, 'old') });
    const u = await api(server, 'POST', '/api/users', { token: admin, body: { email: FULL, name: FULL, role: 'analyst', password: PASSWORD } });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    for (const name of ['a_first', 'big']) {
      const r = await api(server, 'POST', '/api/admin/register-table', { token: admin, body: { name } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const g = await api(server, 'POST', '/api/admin/permissions', { token: admin, body: { user_id: u.body.id, dataset: name } });
      assert.equal(g.status, 201, JSON.stringify(g.body));
    }
  });
  after(async () => {
    if (mnt) umount(mnt);
    assert.equal((await server.stop()).code, 0);
    for (const d of dirs) removeDir(d);
  });

  async function manifest(token) {
    const r = await api(server, 'GET', '/api/sync/manifest', { token });
    assert.equal(r.status, 200);
    return r.body;
  }
  async function eventually(check, what) {
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  // A proxy that, once armed, fills mnt until `leave` bytes are free when the next file
  // download is asked for, then forwards everything unchanged.
  async function fillingProxy(target, fillPath) {
    const base = new URL(target);
    let leave = null;
    const srv = http.createServer((req, res) => {
      if (leave !== null && req.url.startsWith('/api/data/')) {
        const fd = openSync(fillPath, 'w');
        const chunk = Buffer.alloc(64 * 1024, 0x5a);
        for (;;) {
          const st = statfsSync(mnt);
          const free = st.bavail * st.bsize;
          if (free <= leave) break;
          try { writeSync(fd, chunk, 0, Math.min(chunk.length, free - leave)); } catch { break; }
        }
        closeSync(fd);
        leave = null;
      }
      const up = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: base.host } }, (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      req.pipe(up);
    });
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${srv.address().port}`,
      arm: (bytes) => { leave = bytes; },
      stop: () => new Promise((r) => srv.close(r)),
    };
  }

  test('the table that does not fit fails alone and keeps its previous copy', async () => {
    const token = await login(server, FULL, PASSWORD);
    await eventually(async () => Object.keys((await manifest(token)).tables).length === 2, 'both tables');

    mnt = tempDir('da-select-full-');
    dirs.push(mnt);
    mountTmpfs(mnt, '48m');
    const fill = join(mnt, 'filler');
    const proxy = await fillingProxy(server.url, fill);
    try {
      const home = tempDir('da-select-full-home-');
      dirs.push(home);
      // the token from the environment: no login through the proxy
      const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), XDG_DATA_HOME: join(home, 'share'),
        DA_SERVER: proxy.url, DA_TOKEN: token };
      const dir = join(mnt, 'sync');
      const run = () => new Promise((resolve) => {
        // async: this process's event loop serves the proxy
        const child = spawn(DA_BIN, ['sync', '--json', '--jobs', '1', '--min-free', '0', '--dir', dir], { env: cleanEnv(env) });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.on('close', (code) => {
          let summary = null;
          try { summary = JSON.parse(stdout); } catch { /* asserted below */ }
          resolve({ code, stdout, stderr, summary });
        });
      });
      const query = (sql) => runDa(['query', '--dir', dir, '--format', 'json', sql], { env });

      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      const oldBig = (await manifest(token)).tables.big;
      assert.equal(sha256(readFileSync(join(dir, 'tables', 'big.parquet'))), oldBig.files[0].sha256);

      // both tables change; big becomes several MiB
      const oldA = (await manifest(token)).tables.a_first.hash;
      extract('alpha', { 'a_first.csv': 'k\n1\n2\n' });
      extract('beta', { 'big.csv': noise(120000, 'new') });
      await eventually(async () => {
        const m = await manifest(token);
        return m.tables.a_first.hash !== oldA && m.tables.big.hash !== oldBig.hash;
      }, 'the new versions');
      const newBig = (await manifest(token)).tables.big;
      const bigSize = newBig.files[0].size_bytes;
      assert.ok(bigSize > 4 * 1024 * 1024, `big is ${bigSize} bytes`);

      // when a_first's download arrives (after the space check passed) the disk is filled up
      // to 2 MiB: room for the rest of the sync (da.duckdb, DATA.md, state), not for big
      proxy.arm(2 * 1024 * 1024);
      const r = await run();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /big\/big\.parquet: the disk is full.*the table keeps its previous copy/);
      assert.deepEqual(r.summary.failed.map((f) => f.table), ['big']);
      // a_first was synced; big is the old version, whole and queryable
      assert.equal(JSON.parse(query('SELECT count(*) FROM a_first').stdout).rows[0][0], 2);
      assert.equal(sha256(readFileSync(join(dir, 'tables', 'big.parquet'))), oldBig.files[0].sha256);
      const q = query('SELECT count(*) FROM big');
      assert.equal(q.code, 0, q.stderr);
      assert.equal(JSON.parse(q.stdout).rows[0][0], 100);
      // no partial of the failed download is left to keep the disk full
      assert.deepEqual(readdirSync(join(dir, '.da', 'partial')), []);
      const state = JSON.parse(readFileSync(join(dir, '.da', 'state.json'), 'utf8'));
      assert.equal(state.tables.big.hash, oldBig.hash);

      // with room again, the next sync gets big
      rmSync(fill, { force: true });
      const again = await run();
      assert.equal(again.code, 0, again.stderr);
      assert.equal(sha256(readFileSync(join(dir, 'tables', 'big.parquet'))), newBig.files[0].sha256);
    } finally {
      await proxy.stop();
      umount(mnt);
      mnt = null;
    }
  });
});

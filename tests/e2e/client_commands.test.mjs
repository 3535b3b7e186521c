// client_commands.test.mjs — `da query`, `da catalog`, `da status` and `da upload` against a
// real server over the demo data, as an analyst logged in with `da login`: query --remote in
// table, CSV and JSON (the same bytes and values as the API's), refusals and bad SQL with
// their exit codes, piped output without decoration; the catalog list and one table; status
// before any sync and against a hand-written state.json in the sync folder's format (up to
// date, stale, missing, gone), unreachable and not logged in; uploads end to end. Each test
// has its own HOME and XDG folders. The demo registers customers and support_tickets as
// private, the other four public.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, runDa, tempDir, removeDir, api, identityEnv, adminAndAnalyst,
} from './lib/server.mjs';

const ANALYST = { email: 'ana@example.com', password: 'analyst-password-123' };
const UPLOAD_MAX = 64 * 1024;
const UNREACHABLE = 'http://127.0.0.1:1';

describe('da query, catalog, status and upload', () => {
  let server;
  let analyst; // a session token, for comparing with the API
  let analystId;
  let home; // logged in as the analyst
  const dirs = [];

  // A fresh client home: its environment and its folders.
  function clientHome() {
    const dir = tempDir('da-client-');
    dirs.push(dir);
    return {
      dir,
      env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'cfg'), XDG_DATA_HOME: join(dir, 'data') },
    };
  }

  const da = (args, opts = {}) => runDa(args, { env: home.env, ...opts });

  before(async () => {
    server = await startServer({
      args: ['--demo'], env: identityEnv({ DA_UPLOAD_MAX_BYTES: String(UPLOAD_MAX) }),
    });
    ({ analyst, analystId } = await adminAndAnalyst(server, ANALYST.email));
    home = clientHome();
    const r = runDa(['login', '--server', server.url, '--email', ANALYST.email, '--password-stdin'],
      { env: home.env, input: `${ANALYST.password}\n` });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
    for (const d of dirs) removeDir(d);
  });

  test('--help of every command, with the exit codes', () => {
    for (const cmd of ['query', 'catalog', 'status', 'upload']) {
      const r = runDa([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: da ${cmd}`));
      assert.match(r.stdout, /Exit codes:[\s\S]*3 {2}the server could not be reached[\s\S]*4 {2}not logged in/);
    }
    assert.match(runDa(['--help']).stdout, /query .*\n.*catalog .*\n.*status .*\n.*upload /);
  });

  test('usage errors exit 2', () => {
    const cases = [
      [['query'], /no SQL given/],
      [['query', '--format', 'xml', 'SELECT 1'], /--format must be table, csv or json/],
      [['query', '--limit', '0', 'SELECT 1'], /--limit must be/],
      [['query', '--remote', '--dir', '/tmp', 'SELECT 1'], /--dir is for local queries/],
      [['query', 'SELECT 1', 'extra'], /one too many/],
      [['query', '--remote', '  ;'], /the SQL is empty/],
      [['catalog', 'a', 'b'], /unexpected argument 'b'/],
      [['status', '--bogus'], /unknown option '--bogus'/],
      [['upload'], /what to upload/],
      [['upload', 'photo', 'x'], /unknown kind 'photo'/],
      [['upload', 'session'], /no FILE given/],
      [['upload', 'local-md', 'a', 'b'], /local-md takes one file/],
    ];
    for (const [args, re] of cases) {
      const r = da(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  test('query --remote piped is CSV, byte for byte the server\'s, with nothing else', async () => {
    const sql = 'SELECT product_id, sku FROM products ORDER BY 1 LIMIT 2';
    const r = da(['query', '--remote', sql]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '"product_id","sku"\r\n"1","SKU-00001"\r\n"2","SKU-00002"\r\n');
    const viaApi = await api(server, 'POST', '/api/query', { token: analyst, body: { sql, format: 'csv' } });
    assert.equal(r.stdout, viaApi.body);
    // NULL is an empty field, a decimal keeps its scale, quotes are doubled
    const v = da(['query', '--remote', '--format', 'csv',
      'SELECT NULL AS n, 5.00::DECIMAL(10,2) AS d, \'say "hi"\' AS s']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, '"n","d","s"\r\n,"5.00","say ""hi"""\r\n');
  });

  test('query --remote --format table: aligned, numbers right, NULL shown, a row count', () => {
    const r = da(['query', '--remote', '--format', 'table',
      'SELECT order_id, total_amount, shipped_at FROM orders WHERE shipped_at IS NULL ORDER BY 1 LIMIT 2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^order_id {2}total_amount {2}shipped_at$/);
    assert.match(lines[1], /^-{8} {2}-{12} {2}-{10}$/);
    assert.match(lines[2], /^ {2,7}\d+ {2} *\d+\.\d\d {2}NULL$/);
    assert.equal(lines[2].indexOf('NULL'), lines[0].indexOf('shipped_at')); // columns line up
    assert.equal(lines[2].indexOf('.') + 3, lines[0].indexOf('total_amount') + 12); // right-aligned
    assert.equal(lines[4], '2 rows');
    assert.equal(lines.length, 6);
  });

  test('query --remote --format json is the API\'s answer; big integers keep every digit', async () => {
    const sql = 'SELECT order_id, total_amount, ordered_at FROM orders ORDER BY 1 LIMIT 3';
    const r = da(['query', '--remote', '--format', 'json', sql]);
    assert.equal(r.code, 0, r.stderr);
    const viaApi = await api(server, 'POST', '/api/query', { token: analyst, body: { sql } });
    assert.deepEqual(JSON.parse(r.stdout), viaApi.body);
    const big = da(['query', '--remote', '--format', 'json',
      'SELECT 170141183460469231731687303715884105727::HUGEINT AS h']);
    assert.match(big.stdout, /"rows":\[\[170141183460469231731687303715884105727\]\]/);
    const table = da(['query', '--remote', '--format', 'table',
      'SELECT 170141183460469231731687303715884105727::HUGEINT AS h']);
    assert.match(table.stdout, /^170141183460469231731687303715884105727$/m);
  });

  test('a result cut at --limit says so in every format', () => {
    const sql = 'SELECT product_id FROM products ORDER BY 1';
    const t = da(['query', '--remote', '--format', 'table', '--limit', '3', sql]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /\n3 rows \(there are more; raise --limit to see them\)\n$/);
    const c = da(['query', '--remote', '--limit', '3', sql]);
    assert.equal(c.stdout.split('\r\n').length, 5); // header, 3 rows, ''
    assert.match(c.stderr, /cut after 3 rows; raise --limit/);
    const j = JSON.parse(da(['query', '--remote', '--format', 'json', '--limit', '3', sql]).stdout);
    assert.equal(j.truncated, true);
    assert.equal(j.row_count, 3);
  });

  test('SQL from standard input with -', () => {
    const r = da(['query', '--remote', '-'], { input: 'SELECT 42 AS answer;\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '"answer"\r\n"42"\r\n');
  });

  test('a refused table and bad SQL exit 1 with the server\'s reason', () => {
    const refused = da(['query', '--remote', 'SELECT * FROM customers']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^da query: the server answered 403: .*customers/);
    assert.equal(refused.stdout, '');
    const bad = da(['query', '--remote', 'SELEC 1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^da query: the server answered 400: .*syntax error/);
    const missing = da(['query', '--remote', 'SELECT * FROM nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /400: .*nosuch/);
  });

  test('not logged in exits 4, an unreachable server 3, a refused token 4', () => {
    const fresh = clientHome();
    const none = runDa(['query', '--remote', '--server', server.url, 'SELECT 1'], { env: fresh.env });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /not logged in to .*; run: da login/);
    const away = runDa(['query', '--remote', 'SELECT 1'],
      { env: { ...fresh.env, DA_SERVER: UNREACHABLE, DA_TOKEN: 'da_pat_x' } });
    assert.equal(away.code, 3);
    assert.match(away.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
    const refused = runDa(['catalog'], { env: { ...fresh.env, DA_SERVER: server.url, DA_TOKEN: 'da_pat_bogus' } });
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /401/);
  });

  test('a local query before any sync says to run da sync', () => {
    const r = da(['query', 'SELECT 1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no synced data in .*da\/127\.0\.0\.1_\d+; run: da sync/);
    const dir = da(['query', '--dir', join(home.dir, 'nowhere'), 'SELECT 1']);
    assert.equal(dir.code, 1);
    assert.match(dir.stderr, /nowhere; run: da sync/);
  });

  test('catalog lists what the analyst may read, and marks what they may only request', async () => {
    const r = da(['catalog']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^TABLE +ROWS +SIZE +UPDATED \(UTC\) +MODE +ACCESS +DESCRIPTION$/);
    assert.match(r.stdout, /^orders +10000 +[\d.]+ KiB +\d{4}-\d\d-\d\d \d\d:\d\d +local +read +\S/m);
    assert.match(r.stdout, /^customers +- +- +- +- +requestable/m);
    assert.equal(lines.at(-1), '4 tables you may read, 2 you may ask for (request access in the web UI)');
    const json = da(['catalog', '--json']);
    const viaApi = await api(server, 'GET', '/api/catalog/tables', { token: analyst });
    assert.deepEqual(JSON.parse(json.stdout), viaApi.body);
  });

  test('catalog TABLE shows its columns, types, profile and freshness', async () => {
    const r = da(['catalog', 'orders']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^orders: One row per order/);
    assert.match(r.stdout, /^ {2}query mode +local: da sync copies it here/m);
    assert.match(r.stdout, /^ {2}rows +10000$/m);
    assert.match(r.stdout, /^ {2}extracted +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(/m);
    assert.match(r.stdout, /^COLUMN +TYPE +NULLABLE/m);
    assert.match(r.stdout, /^total_amount +DECIMAL\(10,2\) +yes/m);
    const json = JSON.parse(da(['catalog', '--json', 'orders']).stdout);
    assert.deepEqual(json, (await api(server, 'GET', '/api/catalog/tables/orders', { token: analyst })).body);
    for (const name of ['nosuch', 'customers', '../etc']) {
      const missing = da(['catalog', name]);
      assert.equal(missing.code, 1, name);
      assert.match(missing.stderr, /^da catalog: no table '.*' that you may read; da catalog lists them/);
    }
  });

  // The analyst's manifest: { id: hash }.
  async function manifestHashes() {
    const m = await api(server, 'GET', '/api/sync/manifest', { token: analyst });
    assert.equal(m.status, 200);
    return Object.fromEntries(Object.entries(m.body.tables).map(([id, t]) => [id, t.hash]));
  }

  // Writes a sync folder's state as `da sync` leaves it: tables maps id -> hash.
  function writeState(dir, tables) {
    mkdirSync(join(dir, '.da'), { recursive: true });
    writeFileSync(join(dir, 'da.duckdb'), ''); // status only checks that it is there
    const state = {
      server: server.url, synced_at: '2026-01-02T03:04:05Z', generation: 1,
      tables: Object.fromEntries(Object.entries(tables).map(([id, hash]) => [id, {
        hash, rows: 7, updated: '2026-01-01T00:00:00Z', description: '',
        files: { [`${id}.parquet`]: { sha256: hash, size_bytes: 100 } },
      }])),
    };
    writeFileSync(join(dir, '.da', 'state.json'), JSON.stringify(state));
  }

  test('status before any sync: never synced, every table missing (exit 1)', async () => {
    const r = da(['status']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^server +${server.url.replace(/\./g, '\\.')} +reachable \\(healthy, da `));
    assert.match(r.stdout, /^user +ana@example\.com \(analyst\)$/m);
    assert.match(r.stdout, new RegExp(`^sync dir +${join(home.dir, 'data', 'da')}/127\\.0\\.0\\.1_${server.port}$`, 'm'));
    assert.match(r.stdout, /^last sync +never$/m);
    assert.match(r.stdout, /^orders +missing +10000 +- +\d{4}-/m);
    assert.match(r.stdout, /\n4 missing; run: da sync\n$/);
    const j = JSON.parse(da(['status', '--json']).stdout);
    assert.equal(j.reachable, true);
    assert.equal(j.logged_in, true);
    assert.equal(j.user.email, ANALYST.email);
    assert.equal(j.synced, false);
    assert.deepEqual(j.counts, { up_to_date: 0, stale: 0, missing: 4, gone: 0, off: 0, leaving: 0 });
    assert.deepEqual(j.tables.map((t) => t.id), Object.keys(await manifestHashes()).sort());
  });

  test('status against a synced folder: up to date, stale, missing and gone', async () => {
    const hashes = await manifestHashes();
    const dir = join(home.dir, 'synced');
    writeState(dir, { orders: hashes.orders, products: '0'.repeat(64), retired: 'f'.repeat(64) });
    const r = da(['status', '--dir', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^sync dir +${dir}$`, 'm'));
    assert.match(r.stdout, /^last sync +2026-01-02 03:04 UTC \(/m);
    assert.match(r.stdout, /^orders +up to date +7 +2026-01-01 00:00 +\d{4}-/m);
    assert.match(r.stdout, /^products +stale +7 /m);
    assert.match(r.stdout, /^order_items +missing +30102 +- /m);
    assert.match(r.stdout, /^retired +gone +7 +2026-01-01 00:00 +- +- +[\d.]+ \S+$/m);
    assert.match(r.stdout, /\n1 up to date, 1 stale, 2 missing, 1 gone; run: da sync\n$/);
    const j = JSON.parse(da(['status', '--json', '--dir', dir]).stdout);
    assert.equal(j.synced, true);
    assert.equal(j.synced_at, '2026-01-02T03:04:05Z');
    assert.deepEqual(j.counts, { up_to_date: 1, stale: 1, missing: 2, gone: 1, off: 0, leaving: 0 });
    assert.equal(j.tables.find((t) => t.id === 'products').state, 'stale');

    // everything up to date: exit 0
    writeState(dir, hashes);
    const ok = da(['status', '--dir', dir]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /\n4 up to date\n$/);

    // a damaged state file is reported, exit 1
    writeFileSync(join(dir, '.da', 'state.json'), '{not json');
    const damaged = da(['status', '--dir', dir]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /^last sync +.*state\.json is damaged/m);
  });

  test('status: unreachable server exits 3, not logged in 4, both still show the local part', () => {
    const fresh = clientHome();
    const away = runDa(['status', '--server', UNREACHABLE], { env: { ...fresh.env, DA_TOKEN: 'da_pat_x' } });
    assert.equal(away.code, 3);
    assert.match(away.stdout, /^server +http:\/\/127\.0\.0\.1:1 +NOT reachable: cannot reach/m);
    assert.match(away.stdout, /^last sync +never$/m);
    const j = JSON.parse(runDa(['status', '--json', '--server', UNREACHABLE],
      { env: { ...fresh.env, DA_TOKEN: 'da_pat_x' } }).stdout);
    assert.equal(j.reachable, false);
    assert.match(j.error, /cannot reach/);

    const anon = runDa(['status', '--server', server.url], { env: fresh.env });
    assert.equal(anon.code, 4);
    assert.match(anon.stdout, /reachable \(healthy/);
    assert.match(anon.stdout, /^user +not logged in; run: da login --server /m);
    const refused = runDa(['status', '--server', server.url], { env: { ...fresh.env, DA_TOKEN: 'da_pat_bogus' } });
    assert.equal(refused.code, 4);
    assert.match(refused.stdout, /^user +not logged in: the server answered 401/m);
    const nothing = runDa(['status'], { env: fresh.env });
    assert.equal(nothing.code, 4);
    assert.match(nothing.stderr, /no server: give --server URL/);
  });

  test('upload session, artifact and local-md land under the server\'s uploads folder', () => {
    const dir = join(home.dir, 'files');
    mkdirSync(dir, { recursive: true });
    const transcript = '{"type":"user","text":"hi"}\n{"type":"assistant","text":"hello"}\n';
    writeFileSync(join(dir, 'session-1.jsonl'), transcript);
    writeFileSync(join(dir, 'chart.svg'), '<svg/>');
    writeFileSync(join(dir, 'CLAUDE.local.md'), '# Notes\nrevenue means net revenue ✓\n');

    const s = da(['upload', 'session', join(dir, 'session-1.jsonl')]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, `${join(dir, 'session-1.jsonl')}: stored as session-1.jsonl, ${transcript.length} bytes\n`);
    assert.equal(readFileSync(join(server.dataDir, 'uploads', 'sessions', analystId, 'session-1.jsonl'), 'utf8'), transcript);

    const a = da(['upload', 'artifact', '--json', join(dir, 'chart.svg')]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(JSON.parse(a.stdout), {
      status: 'ok', path: `uploads/artifacts/${analystId}/chart.svg`, name: 'chart.svg', size: 6,
    });
    assert.equal(readFileSync(join(server.dataDir, 'uploads', 'artifacts', analystId, 'chart.svg'), 'utf8'), '<svg/>');

    const m = da(['upload', 'local-md', join(dir, 'CLAUDE.local.md')]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /stored as the CLAUDE\.local\.md of ana@example\.com, 36 characters\n$/);
    assert.equal(readFileSync(join(server.dataDir, 'uploads', 'local-md', `${analystId}.md`), 'utf8'),
      '# Notes\nrevenue means net revenue ✓\n');
  });

  test('upload refusals: a missing file, a folder, not JSON lines, too large, not UTF-8', () => {
    const dir = join(home.dir, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bad.jsonl'), '{"ok":1}\nnot json\n');
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(UPLOAD_MAX + 1));
    writeFileSync(join(dir, 'latin1.md'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(join(dir, 'ok.txt'), 'ok');

    const missing = da(['upload', 'artifact', join(dir, 'nope.txt')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.txt: No such file or directory/);
    const folder = da(['upload', 'artifact', dir]);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /not a regular file/);
    const notJsonl = da(['upload', 'session', join(dir, 'bad.jsonl')]);
    assert.equal(notJsonl.code, 1);
    assert.match(notJsonl.stderr, /bad\.jsonl: the server answered 422: line 2 .*not JSON/);
    const big = da(['upload', 'artifact', join(dir, 'big.bin')]);
    assert.equal(big.code, 1);
    assert.match(big.stderr, new RegExp(`big\\.bin: the server answered 413: .*${UPLOAD_MAX}`));
    // past 8 MiB the server answers before reading the body: the client waits for it
    // (Expect: 100-continue) instead of sending into a closed connection
    writeFileSync(join(dir, 'huge.bin'), Buffer.alloc(9 * 1024 * 1024));
    const huge = da(['upload', 'artifact', join(dir, 'huge.bin')]);
    assert.equal(huge.code, 1);
    assert.match(huge.stderr, /huge\.bin: the server answered 413/);
    const latin1 = da(['upload', 'local-md', join(dir, 'latin1.md')]);
    assert.equal(latin1.code, 1);
    assert.match(latin1.stderr, /latin1\.md is not UTF-8 text/);
    // one bad file does not stop the others
    const mixed = da(['upload', 'artifact', join(dir, 'nope.txt'), join(dir, 'ok.txt')]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stdout, /ok\.txt: stored as ok\.txt, 2 bytes/);
    // not logged in: 4
    const fresh = clientHome();
    const anon = runDa(['upload', 'artifact', '--server', server.url, join(dir, 'ok.txt')], { env: fresh.env });
    assert.equal(anon.code, 4);
  });
});

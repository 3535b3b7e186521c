// partition.test.mjs — a partitioned table end to end: `da extract files` turns a folder of
// monthly CSV files into one table of several Parquet files, and a real server lists each file
// in the manifest (digest, size, URL), serves each one (strong ETag, 304, 206) while refusing
// /download and any name that is not one of its files, sums the rows, hides the table from an
// analyst without a grant, and queries every part.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, identityEnv, runDa, tempDir, removeDir, adminAndAnalyst } from './lib/server.mjs';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

describe('partitioned tables', () => {
  let server;
  let admin;
  let analyst; // granted events
  let outsider; // no grant
  let inDir;
  before(async () => {
    inDir = tempDir('da-e2e-in-');
    const dataDir = tempDir('da-e2e-data-');
    mkdirSync(join(inDir, 'events'));
    writeFileSync(join(inDir, 'events', '2024-01.csv'), 'id,kind,amount\n1,view,0\n2,buy,10.5\n');
    writeFileSync(join(inDir, 'events', '2024-02.csv'), 'id,kind,amount\n3,view,0\n4,view,0\n5,buy,7.25\n');
    writeFileSync(join(inDir, 'events', 'notes.txt'), 'skipped: not data');
    writeFileSync(join(inDir, 'users.csv'), 'id,name\n1,Ann\n2,Bob\n');
    const r = runDa(['extract', 'files', '--source', 'web', '--from', inDir, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /extract web: 2 tables, 7 rows, \d+ bytes of Parquet \(1 files skipped\)/);
    server = await startServer({ dataDir, env: identityEnv() });
    let analystId;
    ({ admin, analyst, analystId } = await adminAndAnalyst(server));
    ({ analyst: outsider } = await adminAndAnalyst(server, 'outsider@example.com'));
    for (const name of ['events', 'users']) {
      const reg = await api(server, 'POST', '/api/admin/register-table', { token: admin, body: { name } });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
    }
    const grant = await api(server, 'POST', '/api/admin/permissions', {
      token: admin, body: { user_id: analystId, dataset: 'events' },
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
  });
  after(async () => {
    if (server) {
      assert.equal((await server.stop()).code, 0);
      removeDir(server.dataDir);
    }
    removeDir(inDir);
  });

  const download = (token, path, headers = {}) =>
    fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } });

  // A GET with the path sent exactly as written (fetch would normalise dot segments).
  const rawGet = (token, path) => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
    req.on('error', reject);
    req.end();
  });

  const manifestOf = async (token) => {
    const m = await api(server, 'GET', '/api/sync/manifest', { token });
    assert.equal(m.status, 200, JSON.stringify(m.body));
    return m.body;
  };

  test('the manifest lists one entry per file, with digests that match the bytes', async () => {
    const m = await manifestOf(analyst);
    assert.deepEqual(Object.keys(m.tables), ['events'], 'only the granted table');
    const events = m.tables.events;
    assert.equal(events.query_mode, 'local');
    assert.equal(events.rows, 5, 'the rows of every part');
    assert.deepEqual(events.files.map((f) => f.name), ['2024-01.parquet', '2024-02.parquet']);
    let size = 0;
    for (const f of events.files) {
      assert.equal(f.url, `/api/data/events/files/${f.name}`);
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
      assert.ok(f.updated);
      const res = await download(analyst, f.url);
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.length, f.size_bytes);
      assert.equal(sha256(bytes), f.sha256);
      assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
      assert.equal(res.headers.get('etag'), `"${f.sha256}"`);
      assert.equal(res.headers.get('content-type'), 'application/vnd.apache.parquet');
      assert.match(res.headers.get('content-disposition'), new RegExp(`filename="${f.name}"`));
      size += f.size_bytes;
    }
    assert.equal(events.size_bytes, size);
    // the table hash: the SHA-256 of its files' "name:sha256" lines
    const lines = events.files.map((f) => `${f.name}:${f.sha256}\n`).join('');
    assert.equal(events.hash, sha256(Buffer.from(lines)));

    // an admin sees the one-file table too, with its /download URL
    const all = await manifestOf(admin);
    assert.deepEqual(Object.keys(all.tables).sort(), ['events', 'users']);
    assert.equal(all.tables.users.files.length, 1);
    assert.equal(all.tables.users.files[0].url, '/api/data/users/download');
    assert.deepEqual(all.tables.events, events);
  });

  test('/download answers 409 and points at the per-file URLs', async () => {
    const r = await api(server, 'GET', '/api/data/events/download', { token: analyst });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.detail, /2 files/);
    assert.match(r.body.detail, /urls of its files in \/api\/sync\/manifest/);
  });

  test('each file: 304 for its ETag, 206 for a range', async () => {
    const { files } = (await manifestOf(analyst)).tables.events;
    for (const f of files) {
      const whole = Buffer.from(await (await download(analyst, f.url)).arrayBuffer());
      const etag = `"${f.sha256}"`;
      const again = await download(analyst, f.url, { 'If-None-Match': etag });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('etag'), etag);
      const part = await download(analyst, f.url, { Range: 'bytes=4-' });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 4-${whole.length - 1}/${whole.length}`);
      const tail = Buffer.from(await part.arrayBuffer());
      assert.ok(Buffer.concat([whole.subarray(0, 4), tail]).equals(whole), 'a resumed download is whole');
      const suffix = await download(analyst, f.url, { Range: 'bytes=-4' });
      assert.equal(suffix.status, 206);
      assert.equal(Buffer.from(await suffix.arrayBuffer()).toString(), 'PAR1');
    }
    // another file's ETag is not this file's
    const other = await download(analyst, files[0].url, { 'If-None-Match': `"${files[1].sha256}"` });
    assert.equal(other.status, 200);
  });

  test('a name that is not one of the files is 404, traversal included', async () => {
    for (const name of ['nosuch.parquet', '2024-01', '2024-01.PARQUET', '2024-03.parquet', 'users.parquet',
      'extract.duckdb', '..%2Fusers.parquet', '..%2F..%2F..%2Fextract.duckdb', '%2E%2E%2Fusers.parquet',
      '..%5Cusers.parquet', '%2Fetc%2Fpasswd', 'events%2F2024-01.parquet',
      '2024-01.parquet%00', '2024-01.parquet%00.txt']) {
      const r = await download(analyst, `/api/data/events/files/${name}`);
      assert.equal(r.status, 404, name);
      await r.arrayBuffer();
    }
    for (const path of ['/api/data/events/files/../../users/download', '/api/data/events/files/../files/2024-01.parquet',
      '/api/data/events/files/./2024-01.parquet', '/api/data/events/files//etc/passwd']) {
      assert.equal(await rawGet(analyst, path), 404, path);
    }
    // the one-file table's file is not a file of events
    const users = (await manifestOf(admin)).tables.users.files[0].name;
    assert.equal((await download(admin, `/api/data/events/files/${users}`)).status, 404);
  });

  test('an analyst without a grant sees no table and gets 404 for every file', async () => {
    const m = await manifestOf(outsider);
    assert.deepEqual(m.tables, {});
    const { files } = (await manifestOf(analyst)).tables.events;
    for (const path of [...files.map((f) => f.url), '/api/data/events/download', '/api/data/events/files/nosuch.parquet']) {
      const r = await download(outsider, path);
      assert.equal(r.status, 404, path);
      assert.equal((await r.json()).detail, 'Table not found');
    }
    const q = await api(server, 'POST', '/api/query', { token: outsider, body: { sql: 'SELECT count(*) FROM events' } });
    assert.equal(q.status, 403, JSON.stringify(q.body));
    assert.equal((await download(analyst, '/api/data/users/download')).status, 404, 'users is not granted');
  });

  test('a query counts the rows of every part', async () => {
    const q = await api(server, 'POST', '/api/query', {
      token: analyst,
      body: { sql: "SELECT count(*) AS n, sum(amount) AS total, count(*) FILTER (WHERE kind = 'view') AS views FROM events" },
    });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.deepEqual(q.body.columns, ['n', 'total', 'views']);
    assert.deepEqual(q.body.rows, [[5, 17.75, 3]]);
    const c = await api(server, 'GET', '/api/admin/catalog', { token: admin });
    assert.equal(c.status, 200);
    const events = c.body.tables.find((t) => t.id === 'events');
    assert.equal(events.status, 'ok');
    assert.equal(events.files, 2);
  });

  test('downloads of parts are audited with the file name', async () => {
    const audit = await api(server, 'GET', '/api/admin/audit?action=download&limit=1000', { token: admin });
    assert.equal(audit.status, 200);
    const mine = audit.body.entries.filter((e) => e.target === 'events');
    for (const name of ['2024-01.parquet', '2024-02.parquet']) {
      assert.ok(mine.some((e) => e.result === 'ok' && e.detail.startsWith(name)), name);
    }
    for (const r of ['partial', 'not_modified']) assert.ok(mine.some((e) => e.result === r), r);
  });
});

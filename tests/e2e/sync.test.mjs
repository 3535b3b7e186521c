// sync.test.mjs — the manifest and downloads on a running server over the demo data: only
// readable tables, digests that match the bytes, strong ETags with 304, Range with 206 and
// 416, a new extract showing up, and the audit trail. The demo registers
// customers and support_tickets as private, the other four public.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, login, identityEnv, runDa, tempDir, removeDir, adminAndAnalyst, ADMIN } from './lib/server.mjs';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

describe('manifest and downloads', () => {
  let server;
  let admin;
  let analyst;
  before(async () => {
    server = await startServer({ args: ['--demo'], env: identityEnv() });
    ({ admin, analyst } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  const download = (token, path, headers = {}) =>
    fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } });

  test('the manifest lists only readable tables, with digests that match the bytes', async () => {
    const m = await api(server, 'GET', '/api/sync/manifest', { token: analyst });
    assert.equal(m.status, 200, JSON.stringify(m.body));
    assert.deepEqual(Object.keys(m.body.tables).sort(), ['order_items', 'orders', 'products', 'web_sessions']);
    const orders = m.body.tables.orders;
    assert.equal(orders.rows, 10000);
    assert.equal(orders.files.length, 1);
    assert.equal(orders.files[0].url, '/api/data/orders/download');
    assert.equal(orders.hash, orders.files[0].sha256);
    const res = await download(analyst, orders.files[0].url);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.length, orders.size_bytes);
    assert.equal(sha256(bytes), orders.hash);
    assert.equal(res.headers.get('etag'), `"${orders.hash}"`);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    const all = await api(server, 'GET', '/api/sync/manifest', { token: admin });
    assert.equal(Object.keys(all.body.tables).length, 6);
    assert.equal((await api(server, 'GET', '/api/sync/manifest')).status, 401);
  });

  test('private tables do not exist for the analyst', async () => {
    for (const path of ['/api/data/customers/download', '/api/data/nosuch/download',
      '/api/data/Customers/download', '/api/data/customers/files/x.parquet']) {
      const r = await download(analyst, path);
      assert.equal(r.status, 404, path);
      assert.equal((await r.json()).detail, 'Table not found');
    }
    assert.equal((await download(admin, '/api/data/customers/download')).status, 200);
  });

  test('If-None-Match gives 304; Range gives 206 and resumes; a bad range 416', async () => {
    const first = await download(analyst, '/api/data/products/download');
    const whole = Buffer.from(await first.arrayBuffer());
    const etag = first.headers.get('etag');
    const again = await download(analyst, '/api/data/products/download', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    const part = await download(analyst, '/api/data/products/download', { Range: 'bytes=100-' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-${whole.length - 1}/${whole.length}`);
    const tail = Buffer.from(await part.arrayBuffer());
    assert.ok(Buffer.concat([whole.subarray(0, 100), tail]).equals(whole), 'a resumed download is whole');
    const mid = await download(analyst, '/api/data/products/download', { Range: 'bytes=4-7' });
    assert.equal(mid.status, 206);
    assert.ok(Buffer.from(await mid.arrayBuffer()).equals(whole.subarray(4, 8)));
    const suffix = await download(analyst, '/api/data/products/download', { Range: 'bytes=-4' });
    assert.equal(Buffer.from(await suffix.arrayBuffer()).toString(), 'PAR1');
    const bad = await download(analyst, '/api/data/products/download', { Range: `bytes=${whole.length}-` });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), `bytes */${whole.length}`);
    const stale = await download(analyst, '/api/data/products/download', { Range: 'bytes=100-', 'If-Range': '"other"' });
    assert.equal(stale.status, 200, 'a range of another version is answered with the whole file');
  });

  test('an invalid Range is ignored (RFC 9110): the whole file with 200', async () => {
    const whole = Buffer.from(await (await download(analyst, '/api/data/products/download')).arrayBuffer());
    for (const range of ['bytes=1--2', 'bytes=-+4', 'bytes= 1-2', 'bytes=+1-2', 'bytes=1-+2', 'bytes=4-2',
      'bytes=1-2-', 'bytes=--4', 'bytes=99999999999999999999999-']) {
      const r = await download(analyst, '/api/data/products/download', { Range: range });
      assert.equal(r.status, 200, range);
      assert.equal(r.headers.get('content-range'), null, range);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(whole), range);
    }
  });

  test('a new extract is in the manifest as soon as it is served', async () => {
    const inDir = tempDir('da-e2e-in-');
    try {
      writeFileSync(join(inDir, 'a.csv'), 'k,v\n1,x\n');
      assert.equal(runDa(['extract', 'files', '--source', 'parts', '--from', inDir, '--data-dir', server.dataDir]).code, 0);
      const m = await (async () => {
        for (let i = 0; i < 100; i++) {
          const r = await api(server, 'GET', '/api/sync/manifest', { token: admin });
          if (r.body.tables.a) return r.body;
          await new Promise((res) => setTimeout(res, 200));
        }
        return null;
      })();
      assert.ok(m, 'the new extract is served');
      assert.equal(m.tables.a.files.length, 1);
    } finally {
      removeDir(inDir);
    }
  });

  test('downloads are audited', async () => {
    const audit = await api(server, 'GET', '/api/admin/audit?action=download&limit=1000', { token: admin });
    assert.equal(audit.status, 200);
    const results = new Set(audit.body.entries.map((e) => e.result));
    for (const r of ['ok', 'partial', 'not_modified']) assert.ok(results.has(r), r);
  });
});

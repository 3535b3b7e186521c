// foundation.test.mjs — the server's basic contract: health, error shapes, limits, headers,
// request ids, the command line, startup refusals, secrets and graceful shutdown.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, runDa, tempDir, removeDir, writeConfig } from './lib/server.mjs';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function assertSecurityHeaders(res) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(res.headers.get(name), value, `${name} on ${res.url} ${res.status}`);
  }
  assert.match(res.headers.get('content-security-policy') || '', /frame-ancestors 'none'/);
  assert.match(res.headers.get('x-request-id') || '', /^[A-Za-z0-9._-]{1,64}$/);
}

// Sends raw bytes on one connection and resolves to everything the server sent back.
function rawRequest(port, chunks, { gapMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', (e) => (data ? resolve(data) : reject(e)));
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'function') await c();
        else sock.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

describe('a running server without data', () => {
  let server;
  before(async () => {
    server = await startServer({ env: { DA_MAX_BODY_BYTES: '2048' } });
  });
  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0);
  });

  test('GET /api/health answers status and version only, to anonymous callers', async () => {
    const res = await fetch(`${server.url}/api/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assertSecurityHeaders(res);
    const body = await res.json();
    assert.equal(body.status, 'degraded', 'no extracts yet: degraded');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(Object.keys(body).sort(), ['status', 'timestamp', 'version']);
  });

  test('HEAD /api/health has the headers and no body', async () => {
    const res = await fetch(`${server.url}/api/health`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assertSecurityHeaders(res);
  });

  test('an unknown path is 404 {"detail": "Not Found"}', async () => {
    for (const path of ['/nope', '/api/health/', '/api//health', '/%2e%2e/etc/passwd']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assertSecurityHeaders(res);
      assert.deepEqual(await res.json(), { detail: 'Not Found' });
    }
  });

  test('a known path with the wrong method is 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${server.url}/api/health`, { method, body: method === 'DELETE' ? undefined : '{}' });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assertSecurityHeaders(res);
      assert.deepEqual(await res.json(), { detail: 'Method Not Allowed' });
    }
  });

  test('an announced oversize body is 413 before it is read', async () => {
    const res = await fetch(`${server.url}/api/health`, { method: 'POST', body: 'x'.repeat(4096) });
    assert.equal(res.status, 413);
    assertSecurityHeaders(res);
    assert.match((await res.json()).detail, /larger than 2048 bytes/);
  });

  test('a chunked body that outgrows the cap is 413 too', async () => {
    const chunk = 'y'.repeat(1000);
    const reply = await rawRequest(server.port, [
      'POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      ...Array.from({ length: 4 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`),
      '0\r\n\r\n',
    ]);
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.match(reply, /"detail":"request body is larger than 2048 bytes"/);
  });

  test('a body under the cap reaches routing (405, not 413)', async () => {
    const res = await fetch(`${server.url}/api/health`, { method: 'POST', body: 'z'.repeat(2000) });
    assert.equal(res.status, 405);
  });

  test('a plain X-Request-Id is echoed and logged; a hostile one is replaced', async () => {
    const good = await fetch(`${server.url}/api/health`, { headers: { 'X-Request-Id': 'trace-abc.1' } });
    assert.equal(good.headers.get('x-request-id'), 'trace-abc.1');
    const bad = await fetch(`${server.url}/api/health`, { headers: { 'X-Request-Id': 'evil id"\\' } });
    const id = bad.headers.get('x-request-id');
    assert.notEqual(id, 'evil id"\\');
    assert.match(id, /^[0-9a-f]{16}$/);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(server.log, /GET \/api\/health 200 [\d.]+ms ip=127\.0\.0\.1 request_id=trace-abc\.1/);
  });

  test('without JWT_SECRET_KEY the server made a private random key and said so', () => {
    const keyFile = join(server.dataDir, 'state', 'jwt_secret.key');
    assert.ok(existsSync(keyFile));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.match(server.log, /JWT_SECRET_KEY is not set: created a random signing key/);
    assert.equal(statSync(join(server.dataDir, 'state')).mode & 0o777, 0o700);
  });
});

describe('the demo data', () => {
  test('--demo serves a healthy server on the demo extract, made once', async () => {
    const dir = tempDir();
    try {
      const first = await startServer({ dataDir: dir, args: ['--demo'] });
      const body = await (await fetch(`${first.url}/api/health`)).json();
      assert.equal(body.status, 'healthy');
      assert.match(first.log, /generated demo data: 6 tables/);
      assert.ok(existsSync(join(dir, 'extracts', 'demo', 'extract.duckdb')));
      const runs = readdirSync(join(dir, 'extracts', 'demo', 'data')).filter((n) => n.startsWith('run-'));
      assert.equal(runs.length, 1);
      for (const t of ['customers', 'products', 'orders', 'order_items', 'web_sessions', 'support_tickets']) {
        assert.ok(existsSync(join(dir, 'extracts', 'demo', 'data', runs[0], `${t}.parquet`)), t);
      }
      assert.equal((await first.stop()).code, 0);
      const mtime = statSync(join(dir, 'extracts', 'demo', 'extract.duckdb')).mtimeMs;
      const second = await startServer({ dataDir: dir, args: ['--demo'] });
      assert.match(second.log, /demo data present: 6 tables/);
      assert.equal(statSync(join(dir, 'extracts', 'demo', 'extract.duckdb')).mtimeMs, mtime);
      assert.equal((await second.stop()).code, 0);
    } finally {
      removeDir(dir);
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM lets a request in flight finish, then exits 0', async () => {
    const server = await startServer();
    let sent = false;
    const reply = rawRequest(server.port, [
      'POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234',
      async () => {
        await new Promise((r) => setTimeout(r, 200));
        server.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(server.child.exitCode, null, 'server waited for the request in flight');
        sent = true;
      },
      '56789',
    ]);
    const text = await reply;
    assert.ok(sent);
    assert.match(text, /^HTTP\/1\.1 405 /);
    assert.match(text, /Connection: close/i);
    const { code } = await server.stop();
    assert.equal(code, 0);
    assert.match(server.log, /SIGTERM received/);
    assert.match(server.log, /stopped cleanly/);
  });

  test('SIGTERM under load exits 0 with no broken response, and a restart finds the state intact', async () => {
    const dir = tempDir();
    try {
      const server = await startServer({ dataDir: dir, args: ['--demo'] });
      const instance = server.log.match(/instance ([0-9a-f]{32})/)[1];
      const key = readFileSync(join(dir, 'state', 'jwt_secret.key'), 'utf8');
      let ok = 0;
      let refused = 0;
      let stop = false;
      const worker = async () => {
        while (!stop) {
          let res;
          try {
            res = await fetch(`${server.url}/api/health`);
          } catch (e) {
            // refused before any answer began: the connection was closed or not accepted
            const code = e.cause?.code;
            assert.ok(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code), `unexpected ${code}: ${e}`);
            refused++;
            if (code === 'ECONNREFUSED') return;
            continue;
          }
          // once an answer has begun it must arrive whole: a cut body fails the test here
          const body = await res.json();
          assert.equal(res.status, 200);
          assert.equal(body.status, 'healthy');
          ok++;
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      // the load is on once 50 answers came back (a count, not a time: a busy machine is slow)
      for (let waited = 0; ok < 50 && waited < 60000; waited += 20)
        await new Promise((r) => setTimeout(r, 20));
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      stop = true;
      await Promise.all(workers);
      assert.equal(code, 0);
      assert.ok(ok >= 50, `served ${ok} requests under load`);
      assert.ok(!existsSync(join(dir, 'state', 'system.sqlite-wal')), 'no WAL left after a clean stop');

      const again = await startServer({ dataDir: dir, args: ['--demo'] });
      assert.equal(again.log.match(/instance ([0-9a-f]{32})/)[1], instance);
      assert.equal(readFileSync(join(dir, 'state', 'jwt_secret.key'), 'utf8'), key);
      assert.doesNotMatch(again.log, /created a random signing key/);
      assert.match(again.log, /demo data present/);
      assert.equal((await (await fetch(`${again.url}/api/health`)).json()).status, 'healthy');
      assert.equal((await again.stop()).code, 0);
    } finally {
      removeDir(dir);
    }
  });
});

describe('startup refusals', () => {
  test('a malformed instance.yaml stops startup with a message naming the key', () => {
    const dir = tempDir();
    try {
      const cases = [
        ['server:\n  port: eighty\n', /server\.port/],
        ['server:\n  prot: 80\n', /server\.prot: unknown key/],
        ['log:\n  level: loud\n', /log\.level/],
        ['server:\n  host: [a, b\n', /instance\.yaml:\d+/],
        ['', /empty/],
      ];
      for (const [text, pattern] of cases) {
        const cfg = writeConfig(dir, text);
        const r = runDa(['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--config', cfg]);
        assert.equal(r.code, 1, `${JSON.stringify(text)}: ${r.stderr}`);
        assert.match(r.stderr, pattern, JSON.stringify(text));
        assert.doesNotMatch(r.stderr, /listening/);
      }
    } finally {
      removeDir(dir);
    }
  });

  test('an explicit config file that does not exist stops startup', () => {
    const r = runDa(['serve', '--port', '0', '--config', '/nonexistent/instance.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/instance\.yaml/);
  });

  test('a JWT_SECRET_KEY shorter than 32 bytes stops startup without echoing it', () => {
    const dir = tempDir();
    try {
      const secret = 'too-short-secret';
      const r = runDa(['serve', '--port', '0', '--data-dir', dir], { env: { JWT_SECRET_KEY: secret } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /JWT_SECRET_KEY: must be at least 32 bytes/);
      assert.ok(!r.stderr.includes(secret));
    } finally {
      removeDir(dir);
    }
  });

  test('a configured JWT_SECRET_KEY is used and no key file is made', async () => {
    const server = await startServer({ env: { JWT_SECRET_KEY: 'k'.repeat(40) } });
    assert.ok(!existsSync(join(server.dataDir, 'state', 'jwt_secret.key')));
    assert.equal((await server.stop()).code, 0);
  });

  test('JSON log lines when asked', async () => {
    const server = await startServer({ env: { DA_LOG_FORMAT: 'json' } });
    await fetch(`${server.url}/api/health`);
    const { code } = await server.stop({ keepData: false });
    assert.equal(code, 0);
    const lines = server.log.trim().split('\n');
    assert.ok(lines.length > 3);
    for (const line of lines) {
      const rec = JSON.parse(line);
      assert.ok(rec.ts && rec.level && rec.module && 'msg' in rec, line);
    }
  });
});

describe('the command line', () => {
  test('da --help and --version', () => {
    const help = runDa(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: da COMMAND/);
    assert.match(help.stdout, /serve/);
    const version = runDa(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^da \d+\.\d+\.\d+\n$/);
  });

  test('da serve --help lists options and configuration keys', () => {
    for (const args of [['serve', '--help'], ['help', 'serve']]) {
      const r = runDa(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /--data-dir/);
      assert.match(r.stdout, /--demo-scale/);
      assert.match(r.stdout, /DA_PORT/);
      assert.match(r.stdout, /server\.port/);
    }
  });

  test('unknown commands and options: one line, exit 2', () => {
    for (const [args, pattern] of [
      [['frobnicate'], /^da: unknown command 'frobnicate'/],
      [['--frob'], /^da: unknown option '--frob'/],
      [['serve', '--frob'], /^da serve: unknown option '--frob'/],
      [['serve', '--port'], /^da serve: option '--port' needs a value/],
      [['serve', '--port', '99999'], /^da serve: --port must be an integer 0-65535/],
      [['serve', 'extra'], /^da serve: unexpected argument 'extra'/],
    ]) {
      const r = runDa(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

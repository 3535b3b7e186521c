// slowloris.test.mjs — slow clients cannot lock others out: a per-address connection cap, a
// deadline for the request head, a minimum arrival rate for a body, and refusal of ambiguous
// framing (request smuggling). Raw sockets, because fetch cannot send a request slowly.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib/server.mjs';

// Opens a socket (optionally from localAddress) and resolves once connected.
function connect(port, localAddress) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// Collects what the server sends until it closes; resolves { text, closedAfterMs }.
function collect(s, timeoutMs) {
  const started = Date.now();
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve({ text, closedAfterMs: null }), timeoutMs);
    s.on('data', (d) => { text += d; });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ text, closedAfterMs: Date.now() - started }); });
  });
}

// One GET of path from localAddress on a fresh connection: { status, ms, text }.
async function getFrom(port, localAddress, path = '/api/health') {
  const started = Date.now();
  const s = await connect(port, localAddress);
  const done = collect(s, 20000);
  s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  const { text } = await done;
  const m = text.match(/^HTTP\/1\.1 (\d{3}) /);
  return { status: m ? Number(m[1]) : null, ms: Date.now() - started, text };
}

describe('1,000 slow connections from one address', () => {
  let server;
  const slow = [];
  let ticker;
  before(async () => {
    // a long head deadline, so that only the per-address cap protects the other address
    server = await startServer({ env: { DA_HEADER_TIMEOUT_S: '120', DA_MAX_CONNECTIONS_PER_IP: '64' } });
  });
  after(async () => {
    clearInterval(ticker);
    for (const s of slow) s.destroy();
    await server.stop();
  });

  test('leave another address answered', async () => {
    let refused = 0;
    const opened = await Promise.all(Array.from({ length: 1000 }, async () => {
      try {
        const s = await connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => { s.closedByServer = true; });
        s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
        slow.push(s);
        return s;
      } catch {
        refused++;
        return null;
      }
    }));
    // a header line now and then: never idle, never complete
    ticker = setInterval(() => {
      for (const s of slow) if (!s.closedByServer) s.write('X-Slow: 1\r\n');
    }, 1000);
    await new Promise((r) => setTimeout(r, 1500));
    const held = opened.filter((s) => s && !s.closedByServer).length;
    console.log(`slow connections: ${held} held by the server, ${1000 - held} closed at once or refused (${refused} refused)`);
    assert.ok(held <= 64, `at most the per-address cap is held (${held})`);

    const refusals = server.log.split('\n').filter((l) => /refusing connections/.test(l)).length;
    assert.ok(refusals >= 1 && refusals <= 2, `refused connections are logged once per 10 s, not each (${refusals})`);
    const metrics = (await getFrom(server.port, '127.0.0.2', '/metrics')).text;
    assert.match(metrics, /da_http_connections_refused_total [1-9]/);
    for (let i = 0; i < 3; i++) {
      const r = await getFrom(server.port, '127.0.0.2');
      console.log(`GET /api/health from 127.0.0.2 while 127.0.0.1 holds ${held}: ${r.status} in ${r.ms} ms`);
      assert.equal(r.status, 200, r.text);
    }
  });
});

describe('deadlines for the head and the body, and framing', () => {
  let server;
  before(async () => {
    server = await startServer({
      env: { DA_HEADER_TIMEOUT_S: '1', DA_BODY_RATE_WINDOW_S: '1', DA_BODY_MIN_BYTES_PER_S: '100',
        DA_CONNECTION_TIMEOUT_S: '2' },
    });
  });
  after(async () => { await server.stop(); });

  test('a head trickled past its deadline is closed', async () => {
    const s = await connect(server.port);
    const done = collect(s, 15000);
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
    const t = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 200);
    const { text, closedAfterMs } = await done;
    clearInterval(t);
    console.log(`trickled head closed after ${closedAfterMs} ms`);
    assert.notEqual(closedAfterMs, null, 'the server closed the connection');
    assert.equal(text, '', 'no answer to a request that never arrived');
    assert.match(server.log, /closing a connection: the request head did not arrive in time/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /da_http_connections_cut_total\{reason="head_timeout"\} [1-9]/);
  });

  test('on a kept-alive connection the next head is trickled past idle + deadline: closed', async () => {
    const s = await connect(server.port);
    let text = '';
    s.on('data', (d) => { text += d; });
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (!/"status"/.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(text, /^HTTP\/1\.1 200 /);
    text = '';
    const done = collect(s, 15000);
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
    const t = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 200);
    const { closedAfterMs } = await done;
    clearInterval(t);
    console.log(`trickled second head closed after ${closedAfterMs} ms (idle 2 s + head 1 s)`);
    assert.notEqual(closedAfterMs, null, 'the server closed the connection');
    assert.equal(text, '', 'no answer to the second request');
  });

  test('a body trickled below the minimum rate is cut with 408', async () => {
    const s = await connect(server.port);
    const done = collect(s, 15000);
    s.write('POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const t = setInterval(() => { if (!s.destroyed) s.write(' '); }, 200);
    const { text, closedAfterMs } = await done;
    clearInterval(t);
    console.log(`trickled body cut after ${closedAfterMs} ms`);
    assert.notEqual(closedAfterMs, null, 'the server closed the connection');
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /arrived too slowly/);
  });

  test('a body at a fair rate is not cut, and a kept-alive connection serves a second request', async () => {
    const s = await connect(server.port);
    let text = '';
    s.on('data', (d) => { text += d; });
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'x'.repeat(600) });
    s.write(`POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    // 200 bytes every 300 ms: above 100 bytes a second, and longer than one window
    for (let i = 0; i < body.length; i += 200) {
      s.write(body.slice(i, i + 200));
      await new Promise((r) => setTimeout(r, 300));
    }
    const deadline = Date.now() + 10000;
    while (!/\r\n\r\n[^]*\}/.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(text, /^HTTP\/1\.1 401 /);
    text = '';
    s.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((r) => s.on('close', r));
    assert.match(text, /^HTTP\/1\.1 200 /);
  });

  const framing = [
    ['two Content-Length headers', 'Content-Length: 2\r\nContent-Length: 2\r\n', /more than one Content-Length/],
    ['two different Content-Length headers', 'Content-Length: 2\r\nContent-Length: 40\r\n', /more than one Content-Length/],
    ['Transfer-Encoding with Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 2\r\n', /both Transfer-Encoding and Content-Length/],
  ];
  for (const [name, headers, detail] of framing) {
    test(`${name}: 400`, async () => {
      const s = await connect(server.port);
      const done = collect(s, 10000);
      s.write(`POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n{}`);
      const { text } = await done;
      assert.match(text, /^HTTP\/1\.1 400 /, text);
      assert.match(text, detail);
    });
  }
});

// upload.test.mjs — POST /api/upload/{sessions,artifacts,local-md} on a real server: files land
// whole under uploads/<kind>/<user id>/ with safe names, hostile names stay inside, the size cap
// and the sign-in check act before the body is stored, bad bodies are refused with a reason,
// nothing half-received is left behind, and every upload is audited.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServer, api, identityEnv, adminAndAnalyst } from './lib/server.mjs';

const MAX = 64 * 1024;

describe('uploads', () => {
  let server;
  let admin;
  let analyst;
  let analystId;
  before(async () => {
    server = await startServer({ env: identityEnv({ DA_UPLOAD_MAX_BYTES: String(MAX) }) });
    ({ admin, analyst, analystId } = await adminAndAnalyst(server));
  });
  after(async () => {
    assert.equal((await server.stop()).code, 0);
  });

  const upload = async (kind, parts, token = analyst) => {
    const form = new FormData();
    for (const [field, content, name] of parts) form.append(field, new Blob([content]), name);
    const res = await fetch(`${server.url}/api/upload/${kind}`, {
      method: 'POST', body: form, headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, body: await res.json() };
  };
  const spoolEmpty = () => assert.deepEqual(readdirSync(join(server.dataDir, 'uploads', '.incoming')), []);

  test('a session transcript is stored whole under the user, named as sent', async () => {
    const transcript = '{"type":"user","text":"hello"}\n\n{"type":"assistant","text":"hi"}\n';
    const r = await upload('sessions', [['file', transcript, 'session-2026-11-27.jsonl']]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      status: 'ok', path: `uploads/sessions/${analystId}/session-2026-11-27.jsonl`,
      name: 'session-2026-11-27.jsonl', size: Buffer.byteLength(transcript),
    });
    const stored = join(server.dataDir, r.body.path);
    assert.equal(readFileSync(stored, 'utf8'), transcript);
    assert.equal(statSync(join(stored, '..')).mode & 0o777, 0o700);

    // sending the same name again replaces it whole
    const again = await upload('sessions', [['file', '{"n":2}\n', 'session-2026-11-27.jsonl']]);
    assert.equal(again.status, 200);
    assert.equal(readFileSync(stored, 'utf8'), '{"n":2}\n');
    spoolEmpty();
  });

  test('hostile file names stay inside the user folder', async () => {
    const cases = [
      ['../../../state/system.sqlite', 'system.sqlite'],
      ['..\\..\\evil.html', 'evil.html'],
      ['.bashrc', null],
      ['..', null],
      ['', null],
      ['rep ort;rm -rf $HOME.html', 'rep_ort_rm_-rf__HOME.html'],
      ['x'.repeat(300), 'x'.repeat(128)],
    ];
    for (const [given, expected] of cases) {
      const r = await upload('artifacts', [['file', '<p>chart</p>', given]]);
      assert.equal(r.status, 200, `${given}: ${JSON.stringify(r.body)}`);
      if (expected) assert.equal(r.body.name, expected, given);
      else assert.match(r.body.name, /^artifact_[0-9a-f]{16}$/, given);
      assert.equal(r.body.path, `uploads/artifacts/${analystId}/${r.body.name}`);
      assert.ok(existsSync(join(server.dataDir, r.body.path)));
    }
    assert.ok(existsSync(join(server.dataDir, 'state', 'system.sqlite')));
    spoolEmpty();
  });

  test('a session that is not JSON lines is refused, naming the line', async () => {
    const r = await upload('sessions', [['file', '{"ok":1}\nnot json\n', 'bad.jsonl']]);
    assert.equal(r.status, 422);
    assert.match(r.body.detail, /line 2 of the session is not JSON/);
    assert.ok(!existsSync(join(server.dataDir, 'uploads', 'sessions', analystId, 'bad.jsonl')));
    spoolEmpty();
  });

  test('over uploads.max_bytes: 413 and nothing kept, announced or streamed', async () => {
    const big = 'x'.repeat(MAX * 4); // announced by Content-Length: refused before it is read
    const r = await upload('artifacts', [['file', big, 'big.bin']]);
    assert.equal(r.status, 413);
    assert.match(r.body.detail, /larger than 65536 bytes/);

    // chunked, so the size is only found while streaming
    const status = await new Promise((resolve, reject) => {
      const boundary = 'xyzBOUNDARYxyz';
      const req = request(`${server.url}/api/upload/artifacts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${analyst}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stream.bin"\r\n\r\n`);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(16 * 1024));
      req.end(`\r\n--${boundary}--\r\n`);
    });
    assert.equal(status, 413);
    assert.ok(!existsSync(join(server.dataDir, 'uploads', 'artifacts', analystId, 'big.bin')));
    assert.ok(!existsSync(join(server.dataDir, 'uploads', 'artifacts', analystId, 'stream.bin')));
    spoolEmpty();
  });

  test('bad requests: no sign-in, not multipart, no file, two files', async () => {
    assert.equal((await upload('sessions', [['file', '{}\n', 'a.jsonl']], null)).status, 401);
    const notForm = await api(server, 'POST', '/api/upload/sessions', { token: analyst, body: { file: 'x' } });
    assert.equal(notForm.status, 415);
    assert.match(notForm.body.detail, /multipart\/form-data/);
    const noFile = await upload('sessions', [['other', '{}\n', 'a.jsonl']]);
    assert.equal(noFile.status, 422);
    assert.match(noFile.body.detail, /no file in field "file"/);
    const two = await upload('artifacts', [['file', 'a', 'a.txt'], ['file', 'b', 'b.txt']]);
    assert.equal(two.status, 422);
    spoolEmpty();
  });

  test('local-md is stored per user and its size counts characters', async () => {
    const content = '# Notes\nRevenue is net of refunds — always.\n';
    const r = await api(server, 'POST', '/api/upload/local-md', { token: analyst, body: { content } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { status: 'ok', user: 'ana@example.com', size: [...content].length });
    assert.equal(readFileSync(join(server.dataDir, 'uploads', 'local-md', `${analystId}.md`), 'utf8'), content);
    assert.equal((await api(server, 'POST', '/api/upload/local-md', { token: analyst, body: {} })).status, 422);
  });

  test('every upload is audited', async () => {
    const r = await api(server, 'GET', '/api/admin/audit?action=upload&limit=1000', { token: admin });
    assert.equal(r.status, 200);
    const results = new Set(r.body.entries.map((e) => `${e.target}:${e.result}`));
    for (const want of ['sessions:ok', 'sessions:invalid', 'artifacts:ok', 'local-md:ok'])
      assert.ok(results.has(want), want);
  });
});

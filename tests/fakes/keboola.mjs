// keboola.mjs — a fake Keboola Storage API v2 for tests and the benchmark (node, no
// dependencies). It speaks the endpoints da uses, with Keboola's shapes:
//   GET  /v2/storage/buckets                          [{id, name, stage, ...}]
//   GET  /v2/storage/tables?include=columns,metadata  [table, ...]
//   GET  /v2/storage/tables/{id}                      {id, name, bucket, columns, columnMetadata,
//                                                      primaryKey, rowsCount, lastChangeDate, ...}
//   POST /v2/storage/tables/{id}/export-async         form: gzip, columns[i], changedSince
//                                                      -> a job {id, status: "waiting", ...}
//   GET  /v2/storage/jobs/{id}                        waiting/processing/success/error; success
//                                                      has results.file.id, error error.message
//   GET  /v2/storage/files/{id}?federationToken=1     {id, url, isSliced, name, sizeBytes}
// Every /v2 call needs the header X-StorageApi-Token (401 otherwise, as Keboola answers). File
// URLs are "presigned": /download/... with a signature in the query and no token; an unsliced
// file is a CSV with a header line, a sliced file's url is a manifest {"entries":[{"url"}]} of
// header-less CSV slices (gzipped, named .gz, when the table says so).
//
// A table with s3: true is exported as on Keboola's AWS stacks: its manifest lists
// s3://kbc-fake-files/KEY entries, the file answer (federationToken=1) carries region and
// temporary credentials, and the slices are served path-style under the fake's own URL
// (/kbc-fake-files/KEY, da's keboola.s3_endpoint) only to a request with a valid AWS SigV4
// signature made with those credentials (403 otherwise). s3WrongSecret(true) hands out a secret
// other than the one the fake checks with (as expired credentials fail); s3 (the credentials
// handed out) and s3Requests (the signed requests seen) are for assertions.
//
// Control (for tests): addTable({...}) (with parts: [Buffer, ...] a sliced table served from
// prepared slices, as the benchmark does), setRows(id, rows), upsertRows(id, rows), fail500(n)
// (the next n /v2 calls answer 500), log (every request: method, path, query, form, token ok).
//
//   const kbc = await startFakeKeboola({ token: 'secret' });
//   kbc.addTable({ id: 'in.c-main.orders', columns: ['id', 'amount'], types: { id: 'INTEGER' },
//                  primaryKey: ['id'], rows: [['1', '9.5']] });
//   ... KEBOOLA_STACK_URL=kbc.url ...
//   await kbc.stop();
import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';

function csvLine(values) {
  return values.map((v) => (v === null || v === undefined ? '""' : '"' + String(v).replace(/"/g, '""') + '"')).join(',') + '\n';
}

export async function startFakeKeboola({ token = 'kbc-test-token', port = 0 } = {}) {
  const tables = new Map();
  const jobs = new Map();
  const files = new Map();
  const log = [];
  let nextJob = 1000;
  let nextFile = 5000;
  let failures = 0;
  let base = '';
  const S3_BUCKET = 'kbc-fake-files';
  const s3 = {
    region: 'eu-central-1',
    accessKey: 'ASIAFAKEKEBOOLA00001',
    secret: crypto.randomBytes(30).toString('base64'),
    token: crypto.randomBytes(48).toString('base64'),
    wrongSecret: false,
    // a secret that differs in its first character (a fixed 'x' equals the real one when the
    // random secret starts with 'x', one run in 64)
    get wrong() { return (this.secret[0] === 'x' ? 'y' : 'x') + this.secret.slice(1); },
  };
  const s3Requests = [];

  const hmac = (key, s) => crypto.createHmac('sha256', key).update(s).digest();
  // true when req carries a SigV4 signature of GET by s3's credentials (as AWS checks it)
  function s3SignatureOk(req, rawPath) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization || '');
    if (!m || m[1] !== s3.accessKey || m[3] !== s3.region) return false;
    const names = m[4].split(';');
    for (const need of ['host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']) if (!names.includes(need)) return false;
    if (req.headers['x-amz-security-token'] !== s3.token) return false;
    const date = req.headers['x-amz-date'] || '';
    if (date.slice(0, 8) !== m[2]) return false;
    const canonical = [req.method, rawPath, '', ...names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}`), '', m[4], req.headers['x-amz-content-sha256']].join('\n');
    const toSign = ['AWS4-HMAC-SHA256', date, `${m[2]}/${m[3]}/s3/aws4_request`, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
    let k = hmac('AWS4' + s3.secret, m[2]);
    for (const part of [m[3], 's3', 'aws4_request']) k = hmac(k, part);
    return hmac(k, toSign).toString('hex') === m[5];
  }

  function tableJson(t) {
    const columnMetadata = {};
    for (const c of t.columns) {
      const type = (t.types || {})[c] || 'STRING';
      columnMetadata[c] = [
        { id: '1', key: 'KBC.datatype.type', value: type === 'STRING' ? 'VARCHAR' : type, provider: 'keboola.ex-db', timestamp: '2026-01-01T00:00:00+0100' },
        { id: '2', key: 'KBC.datatype.basetype', value: type, provider: 'keboola.ex-db', timestamp: '2026-01-01T00:00:00+0100' },
      ];
    }
    const last = t.rows.reduce((m, r) => Math.max(m, r.changed), 0);
    const [stage, bucketRest] = [t.id.split('.')[0], t.id.split('.').slice(0, 2).join('.')];
    return {
      uri: `${base}/v2/storage/tables/${t.id}`,
      id: t.id,
      name: t.name || t.id.split('.').slice(2).join('.'),
      displayName: t.name || t.id,
      transactional: false,
      primaryKey: t.primaryKey || [],
      indexType: null,
      indexKey: [],
      distributionType: null,
      distributionKey: [],
      syntheticPrimaryKeyEnabled: false,
      created: '2026-01-01T00:00:00+0100',
      lastImportDate: new Date(last || Date.now()).toISOString(),
      lastChangeDate: new Date(last || Date.now()).toISOString(),
      rowsCount: t.rowsCount ?? t.rows.length,
      dataSizeBytes: 1024,
      isAlias: false,
      isAliasable: true,
      isTyped: false,
      columns: t.columns,
      metadata: [{ id: '9', key: 'KBC.description', value: t.description || '', provider: 'user', timestamp: '2026-01-01T00:00:00+0100' }],
      columnMetadata,
      bucket: { uri: `${base}/v2/storage/buckets/${bucketRest}`, id: bucketRest, name: bucketRest.split('.')[1] || bucketRest, stage, description: '' },
      ...(t.extra || {}),
    };
  }

  function makeFile(t, changedSince) {
    const since = changedSince ? Date.parse(changedSince) : NaN;
    const rows = t.rows.filter((r) => Number.isNaN(since) || r.changed > since);
    const id = nextFile++;
    const f = { id, sliced: !!t.sliced, gzip: !!t.gzip, s3: !!t.s3 && !!t.sliced, parts: [] };
    if (t.parts) { // prepared slices (the benchmark): served as they are
      f.parts = t.parts;
      files.set(id, f);
      return f;
    }
    const lines = rows.map((r) => csvLine(r.values));
    if (f.sliced) {
      const n = Math.max(1, t.slices || 3);
      for (let i = 0; i < n; i++) {
        const text = lines.filter((_, k) => k % n === i).join('');
        f.parts.push(f.gzip ? zlib.gzipSync(text, { level: 1 }) : Buffer.from(text));
      }
    } else {
      const text = csvLine(t.columns) + lines.join('');
      f.parts.push(f.gzip ? zlib.gzipSync(text, { level: 1 }) : Buffer.from(text));
    }
    files.set(id, f);
    return f;
  }

  function fileUrl(f, part) {
    if (f.s3 && part !== undefined) return `s3://${S3_BUCKET}/exp-15/${f.id}/part${String(part).padStart(4, '0')}.csv${f.gzip ? '.gz' : ''}`;
    const sig = 'X-Amz-Signature=fake' + f.id;
    if (part === undefined) return f.sliced ? `${base}/download/${f.id}/manifest?${sig}` : `${base}/download/${f.id}/data.csv${f.gzip ? '.gz' : ''}?${sig}`;
    return `${base}/download/${f.id}/part${String(part).padStart(4, '0')}.csv${f.gzip ? '.gz' : ''}?${sig}`;
  }

  function send(res, status, body, type = 'application/json') {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    res.writeHead(status, { 'content-type': type, 'content-length': data.length });
    res.end(data);
  }

  function handle(req, res, body) {
    const u = new URL(req.url, 'http://x');
    const path = u.pathname;
    const entry = { method: req.method, path, query: Object.fromEntries(u.searchParams), form: null, tokenOk: req.headers['x-storageapi-token'] === token, tokenSent: req.headers['x-storageapi-token'] !== undefined };
    if (req.method === 'POST') entry.form = Object.fromEntries(new URLSearchParams(body.toString()));
    log.push(entry);

    let m;
    if ((m = /^\/kbc-fake-files\/exp-15\/(\d+)\/part(\d{4})\.csv(?:\.gz)?$/.exec(path))) {
      const ok = req.method === 'GET' && s3SignatureOk(req, req.url.split('?')[0]);
      s3Requests.push({ path, ok, authorization: req.headers.authorization || '' });
      if (!ok) return send(res, 403, '<Error><Code>SignatureDoesNotMatch</Code></Error>', 'application/xml');
      const f = files.get(Number(m[1]));
      const part = Number(m[2]);
      if (!f || !f.s3 || part >= f.parts.length) return send(res, 404, '<Error><Code>NoSuchKey</Code></Error>', 'application/xml');
      return send(res, 200, f.parts[part], 'application/octet-stream');
    }
    if ((m = /^\/download\/(\d+)\/(manifest|data\.csv(?:\.gz)?|part(\d{4})\.csv(?:\.gz)?)$/.exec(path))) {
      const f = files.get(Number(m[1]));
      if (!f || u.searchParams.get('X-Amz-Signature') !== 'fake' + m[1]) return send(res, 403, '<Error>AccessDenied</Error>', 'application/xml');
      if (m[2] === 'manifest') return send(res, 200, { entries: f.parts.map((_, i) => ({ url: fileUrl(f, i), mandatory: true })) });
      const part = m[3] === undefined ? 0 : Number(m[3]);
      if (part >= f.parts.length) return send(res, 404, '<Error>NoSuchKey</Error>', 'application/xml');
      return send(res, 200, f.parts[part], 'application/octet-stream');
    }
    if (!path.startsWith('/v2/storage/')) return send(res, 404, { error: 'Not found', code: 404, status: 'error' });
    if (!entry.tokenOk) return send(res, 401, { error: 'Invalid access token', code: 'storage.tokenInvalid', status: 'error' });
    if (failures > 0) {
      failures--;
      return send(res, 500, { error: 'Internal Server Error occurred.', code: 500, status: 'error', exceptionId: 'exception-fake' });
    }
    if (req.method === 'GET' && path === '/v2/storage/buckets') {
      const buckets = new Map();
      for (const t of tables.values()) buckets.set(tableJson(t).bucket.id, tableJson(t).bucket);
      return send(res, 200, [...buckets.values()]);
    }
    if (req.method === 'GET' && path === '/v2/storage/tables') return send(res, 200, [...tables.values()].map(tableJson));
    if ((m = /^\/v2\/storage\/tables\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = tables.get(decodeURIComponent(m[1]));
      return t ? send(res, 200, tableJson(t)) : send(res, 404, { error: `The table "${decodeURIComponent(m[1])}" was not found in the bucket`, code: 'storage.tables.notFound', status: 'error' });
    }
    if ((m = /^\/v2\/storage\/tables\/([^/]+)\/export-async$/.exec(path)) && req.method === 'POST') {
      const t = tables.get(decodeURIComponent(m[1]));
      if (!t) return send(res, 404, { error: 'table not found', code: 'storage.tables.notFound', status: 'error' });
      const cols = Object.keys(entry.form).filter((k) => /^columns\[\d+\]$/.test(k)).map((k) => entry.form[k]);
      if (cols.length && cols.join(',') !== t.columns.join(',')) return send(res, 400, { error: 'columns differ', status: 'error' });
      const id = nextJob++;
      const job = { id, table: t, polls: t.exportPolls ?? 2, changedSince: entry.form.changedSince || null };
      jobs.set(id, job);
      return send(res, 202, { id, status: 'waiting', url: `${base}/v2/storage/jobs/${id}`, tableId: t.id, operationName: 'tableExport', operationParams: {}, createdTime: new Date().toISOString(), results: null });
    }
    if ((m = /^\/v2\/storage\/jobs\/(\d+)$/.exec(path)) && req.method === 'GET') {
      const job = jobs.get(Number(m[1]));
      if (!job) return send(res, 404, { error: 'Job not found', status: 'error' });
      const common = { id: job.id, url: `${base}/v2/storage/jobs/${job.id}`, tableId: job.table.id, operationName: 'tableExport' };
      if (job.polls > 0) {
        job.polls--;
        return send(res, 200, { ...common, status: job.polls > 0 ? 'waiting' : 'processing', results: null });
      }
      if (job.table.failJob) return send(res, 200, { ...common, status: 'error', results: null, error: { code: 'storage.export', message: job.table.failJob, exceptionId: 'exception-job' } });
      if (!job.file) job.file = makeFile(job.table, job.changedSince);
      return send(res, 200, { ...common, status: 'success', results: { file: { id: job.file.id } }, error: null });
    }
    if ((m = /^\/v2\/storage\/files\/(\d+)$/.exec(path)) && req.method === 'GET') {
      const f = files.get(Number(m[1]));
      if (!f) return send(res, 404, { error: 'File not found', status: 'error' });
      const fed = u.searchParams.get('federationToken') === '1';
      return send(res, 200, {
        id: f.id, created: new Date().toISOString(), isPublic: false, isSliced: f.sliced, isEncrypted: true,
        name: f.sliced ? 'export.csv.gz' : `data.csv${f.gzip ? '.gz' : ''}`, url: fileUrl(f), provider: 'aws', region: 'eu-central-1',
        sizeBytes: f.parts.reduce((s, p) => s + p.length, 0), tags: [], maxAgeDays: 15,
        ...(fed && f.s3 ? { region: s3.region, credentials: { AccessKeyId: s3.accessKey, SecretAccessKey: s3.wrongSecret ? s3.wrong : s3.secret, SessionToken: s3.token, Expiration: '2099-01-01T00:00:00+0000' }, s3Path: { bucket: S3_BUCKET, key: `exp-15/${f.id}` } } : {}),
        ...(fed && !f.s3 ? { credentials: { AccessKeyId: 'fake', SecretAccessKey: 'fake', SessionToken: 'fake', Expiration: '2099-01-01T00:00:00+0000' }, s3Path: { bucket: 'fake', key: `exp-15/${f.id}` } } : {}),
      });
    }
    return send(res, 404, { error: 'Not found', code: 404, status: 'error' });
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (e) {
        send(res, 500, { error: String(e), status: 'error' });
      }
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;

  const old = Date.now() - 3600 * 1000;
  const rowsOf = (list, changed) => list.map((values) => ({ values: values.map((v) => (v === null ? null : String(v))), changed }));
  return {
    url: base,
    log,
    tables,
    s3,
    s3Requests,
    s3WrongSecret(on) {
      s3.wrongSecret = !!on;
    },
    addTable(t) {
      tables.set(t.id, { ...t, rows: rowsOf(t.rows || [], t.changed ?? old) });
    },
    // replaces all rows (changed long ago unless told)
    setRows(id, rows, changed = old) {
      tables.get(id).rows = rowsOf(rows, changed);
    },
    // rows changed now: replaced by their first value (the key) or added
    upsertRows(id, rows) {
      const t = tables.get(id);
      for (const r of rowsOf(rows, Date.now())) {
        const i = t.rows.findIndex((x) => x.values[0] === r.values[0]);
        if (i >= 0) t.rows[i] = r;
        else t.rows.push(r);
      }
    },
    set(id, props) {
      Object.assign(tables.get(id), props);
    },
    fail500(n) {
      failures = n;
    },
    clearLog() {
      log.length = 0;
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// node tests/fakes/keboola.mjs: serve until killed (for manual runs); prints the URL
if (import.meta.url === `file://${process.argv[1]}`) {
  const kbc = await startFakeKeboola({ token: process.env.KEBOOLA_STORAGE_TOKEN || 'kbc-test-token', port: Number(process.env.PORT || 0) });
  console.log(kbc.url);
}

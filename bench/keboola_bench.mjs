// keboola_bench.mjs — the Keboola connector's throughput: a 1M-row, 10-column table exported
// from the fake Keboola (tests/fakes/keboola.mjs) as 8 gzipped CSV slices, through
// `da extract keboola` into served Parquet (job polling, parallel download, typed load, commit),
// against the floor: DuckDB reading the same gzipped slices from local disk into Parquet
// (bench/keboola_floor.c). Prints rows/s of each and the ratio. Run by bench/run.sh.
// Usage: node bench/keboola_bench.mjs [ROWS] [SLICES]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { startFakeKeboola } from '../tests/fakes/keboola.mjs';
import { startServer, api, identityEnv, ADMIN, login, cleanEnv, DA_BIN } from '../tests/e2e/lib/server.mjs';

const ROWS = Number(process.argv[2] || 1000000);
const SLICES = Number(process.argv[3] || 8);
const BUILD = process.env.BUILD || 'build';
const TOKEN = 'bench-token-0123456789';
const COLUMNS = ['id', 'customer', 'amount', 'qty', 'price', 'paid', 'day', 'at', 'city', 'note'];
const TYPES = { id: 'INTEGER', amount: 'NUMERIC', qty: 'INTEGER', price: 'FLOAT', paid: 'BOOLEAN', day: 'DATE', at: 'TIMESTAMP' };
const CITIES = ['Prague', 'Brno', 'Berlin', 'Vienna', 'Paris', 'Lisbon', 'Oslo', 'Rome'];

function slice(k) {
  const lines = [];
  for (let i = k; i < ROWS; i += SLICES) {
    const d = new Date(Date.UTC(2025, 0, 1) + (i % 86400) * 60000);
    lines.push(`"${i}","customer ${i % 5000}","${(i % 100000) / 100}","${i % 17}","${(i % 997) * 1.5}","${i % 2 ? 'true' : 'false'}","${d.toISOString().slice(0, 10)}","${d.toISOString().slice(0, 19).replace('T', ' ')}","${CITIES[i % 8]}","note, with ""quotes"" ${i % 13}"`);
  }
  return zlib.gzipSync(lines.join('\n') + '\n', { level: 6 });
}

const dir = mkdtempSync(join(tmpdir(), 'da-kbc-bench-'));
try {
  const parts = Array.from({ length: SLICES }, (_, k) => slice(k));
  const files = parts.map((p, k) => {
    const f = join(dir, `slice${k}.csv.gz`);
    writeFileSync(f, p);
    return f;
  });
  const gzBytes = parts.reduce((s, p) => s + p.length, 0);
  console.log(`table: ${ROWS} rows, ${COLUMNS.length} columns, ${SLICES} gzipped slices, ${(gzBytes / 1048576).toFixed(1)} MiB`);

  // the floor, best of 3
  let floor = Infinity;
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(join(BUILD, 'bench', 'keboola_floor'), [join(dir, `floor${i}.parquet`), ...files], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    floor = Math.min(floor, Number(/in ([\d.]+) s/.exec(r.stdout)[1]));
    rmSync(join(dir, `floor${i}.parquet`));
  }

  const kbc = await startFakeKeboola({ token: TOKEN });
  kbc.addTable({ id: 'in.c-bench.orders', columns: COLUMNS, types: TYPES, primaryKey: ['id'], sliced: true, gzip: true, parts, rowsCount: ROWS, exportPolls: 1 });
  const server = await startServer({ env: identityEnv() });
  try {
    const admin = await login(server, ADMIN.email, ADMIN.password);
    const reg = await api(server, 'POST', '/api/admin/register-table', { token: admin, body: { name: 'orders', source_type: 'keboola', source_table: 'in.c-bench.orders', sync_strategy: 'full_refresh' } });
    if (reg.status !== 201) throw new Error(JSON.stringify(reg.body));
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const r = await new Promise((resolve) => {
        const child = spawn(DA_BIN, ['extract', 'keboola', '--json', '--data-dir', server.dataDir], {
          env: cleanEnv({ KEBOOLA_STACK_URL: kbc.url, KEBOOLA_STORAGE_TOKEN: TOKEN }),
        });
        let out = '', errText = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { errText += d; });
        child.on('exit', (code) => resolve({ code, out, errText }));
      });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.code !== 0) throw new Error(r.errText);
      if (JSON.parse(r.out).rows !== ROWS) throw new Error(`exported ${r.out}`);
      best = Math.min(best, s);
    }
    const q = await api(server, 'POST', '/api/query', { token: admin, body: { sql: 'SELECT count(*), count(DISTINCT city) FROM orders' } });
    console.log(`served: ${JSON.stringify(q.body.rows)}`);
    console.log(`floor (DuckDB, local gz CSV -> Parquet): ${floor.toFixed(2)} s, ${Math.round(ROWS / floor)} rows/s`);
    console.log(`da extract keboola (fake -> served Parquet): ${best.toFixed(2)} s, ${Math.round(ROWS / best)} rows/s`);
    console.log(`ratio: ${(best / floor).toFixed(2)} x the floor (goal <= 1.5)`);
  } finally {
    await server.stop();
    await kbc.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// three_commands.test.mjs — the analyst's whole start, as issue 6 states it: on a machine with
// nothing (an empty HOME), `da login`, `da sync` and `da query` go from no credential to a
// local query over synced data. The local answer must equal the server's for the same SQL,
// and a private table the analyst may not read is neither synced nor queryable locally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, identityEnv, adminAndAnalyst, runDa, tempDir, removeDir } from './lib/server.mjs';

test('login, sync, query: from nothing to a local query in three commands', async () => {
  const server = await startServer({ args: ['--demo'], env: identityEnv() });
  const home = tempDir('da-e2e-home-');
  try {
    const { analyst } = await adminAndAnalyst(server, 'new@example.com');
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') };

    const loginRun = runDa(['login', '--server', server.url, '--email', 'new@example.com', '--password-stdin'],
      { env, input: 'analyst-password-123\n' });
    assert.equal(loginRun.code, 0, loginRun.stdout + loginRun.stderr);

    const syncRun = runDa(['sync'], { env });
    assert.equal(syncRun.code, 0, syncRun.stdout + syncRun.stderr);
    assert.equal(syncRun.stderr, '', 'piped: no progress noise');

    const sql = 'SELECT count(*) AS n, sum(total_amount) AS total FROM orders';
    const queryRun = runDa(['query', sql], { env });
    assert.equal(queryRun.code, 0, queryRun.stdout + queryRun.stderr);
    const remote = await api(server, 'POST', '/api/query', { token: analyst, body: { sql, format: 'csv' } });
    assert.equal(remote.status, 200);
    const csv = typeof remote.body === 'string' ? remote.body : JSON.stringify(remote.body);
    assert.equal(queryRun.stdout.replace(/\r\n/g, '\n'), csv.replace(/\r\n/g, '\n'));

    // customers is private in the demo: not synced, not in the local database
    const folders = readdirSync(join(home, '.local/share/da'));
    assert.equal(folders.length, 1);
    const tables = readdirSync(join(home, '.local/share/da', folders[0], 'tables'));
    assert.ok(tables.includes('orders.parquet'), tables.join(','));
    assert.ok(!tables.some((t) => t.startsWith('customers')), tables.join(','));
    assert.ok(existsSync(join(home, '.local/share/da', folders[0], 'DATA.md')));
    const denied = runDa(['query', 'SELECT * FROM customers'], { env });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /customers/);
  } finally {
    removeDir(home);
    assert.equal((await server.stop()).code, 0);
  }
});

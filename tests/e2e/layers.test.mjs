// layers.test.mjs — scripts/check-layers.sh (run by `make lint`) over small trees of its own:
// a tree that keeps to the table passes; an include that points up, a surface's internals
// reached from cmd/, a header outside the one a row allows, and a folder missing from the table
// each fail with a line that names the file, the include and the two layers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, removeDir } from './lib/server.mjs';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'check-layers.sh');
const dirs = [];
after(() => dirs.forEach(removeDir));

// A src/ tree with the given files ({ 'store/x.c': ['base/buf.h'] }: the headers it includes).
function tree(files) {
  const root = tempDir('da-layers-');
  dirs.push(root);
  const src = join(root, 'src');
  for (const [file, includes] of Object.entries(files)) {
    mkdirSync(dirname(join(src, file)), { recursive: true });
    writeFileSync(join(src, file), includes.map((h) => `#include "${h}"\n`).join('') +
      '#include <stdio.h>\n#include "duckdb.h"\n');
  }
  return src;
}

function check(src) {
  return spawnSync('sh', [SCRIPT, src], { encoding: 'utf8' });
}

const clean = {
  'base/buf.c': ['base/buf.h'],
  'store/store.c': ['store/store.h', 'base/buf.h'],
  'data/catalog.c': ['store/store.h', 'base/buf.h'],
  'client/localdb.c': ['data/duck.h', 'client/client.h'],
  'cmd/serve.c': ['api/api.h', 'core/core.h', 'client/client.h'],
  'main.c': ['cmd/cmd.h', 'query/worker.h', 'base/version.h'],
};

test('a tree that keeps to the table passes', () => {
  const r = check(tree(clean));
  assert.equal(r.stdout, '');
  assert.equal(r.status, 0, r.stderr);
});

test('an include that points up fails, naming the file, the header and the layers', () => {
  const src = tree({ ...clean, 'store/device_repo.h': ['auth/crypto.h'], 'base/mem.c': ['store/store.h'] });
  const r = check(src);
  assert.equal(r.status, 1);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `${src}/base/mem.c: includes store/store.h (layer base may not depend on store)`,
    `${src}/store/device_repo.h: includes auth/crypto.h (layer store may not depend on auth)`,
  ]);
});

test('cmd may include api/api.h only from serve.c, and no other api header', () => {
  const src = tree({ ...clean, 'cmd/admin.c': ['api/api.h'], 'cmd/seed.c': ['api/authn.h'] });
  const r = check(src);
  assert.equal(r.status, 1);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `${src}/cmd/admin.c: includes api/api.h (layer cmd may not depend on api)`,
    `${src}/cmd/seed.c: includes api/authn.h (layer cmd may not depend on api)`,
  ]);
});

test('a row that names one header allows that header only', () => {
  const r = check(tree({ ...clean, 'client/fetch.c': ['data/duck.h', 'data/catalog.h'] }));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /client\/fetch\.c: includes data\/catalog\.h \(layer client may not depend on data\)\n$/);
});

test('a folder missing from the table fails until it gets a row', () => {
  const r = check(tree({ ...clean, 'mcp/server.c': ['base/buf.h'] }));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /mcp\/server\.c: layer mcp is not in the table/);
});

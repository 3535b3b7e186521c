// metrics.test.mjs — GET /metrics: the Prometheus text format with requests by route and
// status, latency histograms and the catalog's rebuilds and generation; loopback callers
// only by default (a proxied request is not local), admins only when configured.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, login, identityEnv, ADMIN } from './lib/server.mjs';

describe('metrics', () => {
  test('loopback callers get the Prometheus text; proxied ones do not', async () => {
    const server = await startServer({ args: ['--demo'], env: identityEnv() });
    try {
      await api(server, 'GET', '/api/health');
      await api(server, 'GET', '/api/nosuch/path/123');
      // a request is counted when libmicrohttpd reports it complete, which is after its answer
      // reached the client: read /metrics until both are in (a slow sanitizer build lags)
      let res;
      let text = '';
      for (let i = 0; i < 50 && !/route="unmatched",method="other",status="404"/.test(text); i++) {
        if (i) await new Promise((done) => setTimeout(done, 100));
        res = await fetch(`${server.url}/metrics`);
        text = await res.text();
      }
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
      assert.match(text, /# TYPE da_http_requests_total counter/);
      assert.match(text, /da_http_requests_total\{route="\/api\/health",method="GET",status="200"\} [1-9]/);
      assert.match(text, /da_http_requests_total\{route="unmatched",method="other",status="404"\} 1/);
      assert.ok(!text.includes('/api/nosuch'), 'raw paths never become labels');
      assert.match(text, /da_http_request_duration_seconds_bucket\{route="\/api\/health",le="\+Inf"\} [1-9]/);
      assert.match(text, /da_catalog_rebuilds_total\{result="ok"\} [1-9]/);
      assert.match(text, /da_catalog_generation [1-9]/);
      assert.match(text, /da_catalog_tables\{status="ok"\} 6/);
      const proxied = await fetch(`${server.url}/metrics`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.equal(proxied.status, 403);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('with metrics.require_admin only admins get them', async () => {
    const server = await startServer({ env: identityEnv({ DA_METRICS_REQUIRE_ADMIN: 'true' }) });
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
      const admin = await login(server, ADMIN.email, ADMIN.password);
      const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /da_http_requests_total/);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

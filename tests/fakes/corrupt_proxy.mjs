// corrupt_proxy.mjs — an HTTP proxy for tests that stands in front of a da server and damages
// downloads on their way: the body of each of the first `corrupt` answers to a file download
// (/api/data/...) has one byte flipped in its middle, with its length and headers untouched, as
// a bad disk, NIC or middlebox would; with `extra` set, it instead gets that many more bytes
// (and a Content-Length to match), as a hostile server would send to fill the disk.
// Everything else passes through as it is. Every request is recorded in `requests` as
// { method, path, range, status, corrupted }.
//
//   const proxy = await startCorruptProxy(server.url, { corrupt: 1 });
//   ... point a client at proxy.url ...
//   await proxy.stop();
import http from 'node:http';

export async function startCorruptProxy(target, { corrupt = 1, extra = 0 } = {}) {
  const base = new URL(target);
  const requests = [];
  let left = corrupt;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: base.host };
      const up = http.request({
        host: base.hostname, port: base.port, method: req.method, path: req.url, headers,
      }, (upRes) => {
        const body = [];
        upRes.on('data', (c) => body.push(c));
        upRes.on('end', () => {
          let buf = Buffer.concat(body);
          const headersOut = { ...upRes.headers };
          const isFile = req.url.startsWith('/api/data/') && [200, 206].includes(upRes.statusCode);
          const corrupted = isFile && left > 0 && buf.length > 0;
          if (corrupted) {
            left--;
            if (extra > 0) {
              buf = Buffer.concat([buf, Buffer.alloc(extra, 0x41)]);
              headersOut['content-length'] = String(buf.length);
            } else {
              buf[buf.length >> 1] ^= 0xff;
            }
          }
          requests.push({
            method: req.method, path: req.url, range: req.headers.range || null, status: upRes.statusCode, corrupted,
          });
          res.writeHead(upRes.statusCode, headersOut);
          res.end(buf);
        });
      });
      up.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: `proxy: ${e.message}` }));
      });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

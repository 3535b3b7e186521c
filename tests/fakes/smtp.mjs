// smtp.mjs — a fake SMTP relay for tests (RFC 5321 over plain TCP): 220 greeting, EHLO (no
// STARTTLS; AUTH PLAIN LOGIN advertised) and HELO, AUTH PLAIN / AUTH LOGIN (any credentials are
// accepted and recorded), MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT.
// Every accepted message lands in `messages` with its raw data and, for convenience, its parsed
// headers, decoded subject and decoded text body.
//
//   const smtp = await startFakeSmtp();
//   ... send to smtp.url ...
//   const m = await smtp.waitForMessage((m) => m.to.includes('ann@example.com'));
//   await smtp.stop();
import net from 'node:net';

const MAX_LINE = 4096;
const MAX_DATA = 10 * 1024 * 1024;

// Undoes RFC 2047 encoded-words (B and Q) in a header value.
export function decodeHeaderValue(value) {
  const unfolded = value.replace(/\?=\s+=\?/g, '?==?');
  return unfolded.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  });
}

// Decodes a quoted-printable body into a UTF-8 string with LF line ends.
export function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = Buffer.from(joined.replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8').replace(/\r\n/g, '\n');
}

// Splits raw message data into { headers: { lower-case name: value }, subject, text }.
export function parseMessage(data) {
  const sep = data.indexOf('\r\n\r\n');
  const head = sep < 0 ? data : data.slice(0, sep);
  const body = sep < 0 ? '' : data.slice(sep + 4);
  const headers = {};
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
  const text = cte === 'quoted-printable' ? decodeQuotedPrintable(body)
    : cte === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body.replace(/\r\n/g, '\n');
  return { headers, subject: decodeHeaderValue(headers.subject || ''), text };
}

function stripPath(arg) {
  const m = /^\s*<([^>]*)>/.exec(arg);
  return m ? m[1] : arg.trim().split(/\s+/)[0];
}

export async function startFakeSmtp({ hostname = 'fake-smtp.test' } = {}) {
  const messages = [];
  const waiters = new Set();
  const sockets = new Set();

  function deliver(msg) {
    messages.push(msg);
    for (const w of [...waiters]) {
      if (w.predicate(msg)) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(msg);
      }
    }
  }

  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buffer = '';
    let mode = 'command'; // command | data | auth-plain | auth-login-user | auth-login-pass
    let from = null;
    let to = [];
    let dataLines = [];
    let dataSize = 0;
    let auth = null;
    let loginUser = '';
    const reply = (s) => sock.write(`${s}\r\n`);
    const reset = () => { from = null; to = []; dataLines = []; dataSize = 0; };

    function onLine(line) {
      if (mode === 'data') {
        if (line === '.') {
          const raw = dataLines.join('\r\n') + (dataLines.length ? '\r\n' : '');
          const data = Buffer.from(raw, 'latin1').toString('utf8');
          deliver({ from, to: [...to], data, auth, ...parseMessage(data) });
          reset();
          mode = 'command';
          reply('250 2.0.0 Ok: queued');
          return;
        }
        dataSize += line.length + 2;
        if (dataSize > MAX_DATA) {
          reply('552 5.3.4 Message too big');
          sock.end();
          return;
        }
        dataLines.push(line.startsWith('.') ? line.slice(1) : line);
        return;
      }
      if (mode === 'auth-plain') {
        mode = 'command';
        return finishPlain(line);
      }
      if (mode === 'auth-login-user') {
        loginUser = Buffer.from(line, 'base64').toString('utf8');
        mode = 'auth-login-pass';
        return reply(`334 ${Buffer.from('Password:').toString('base64')}`);
      }
      if (mode === 'auth-login-pass') {
        mode = 'command';
        auth = { mechanism: 'LOGIN', username: loginUser, password: Buffer.from(line, 'base64').toString('utf8') };
        return reply('235 2.7.0 Authentication successful');
      }
      const m = /^([A-Za-z]+)(?:\s+(.*))?$/.exec(line);
      const verb = m ? m[1].toUpperCase() : '';
      const arg = m && m[2] ? m[2] : '';
      switch (verb) {
        case 'EHLO':
          reset();
          sock.write(`250-${hostname} Hello ${arg}\r\n250-PIPELINING\r\n250-SIZE ${MAX_DATA}\r\n` +
            '250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n');
          return;
        case 'HELO':
          reset();
          return reply(`250 ${hostname}`);
        case 'AUTH': {
          const [mech, initial] = arg.split(/\s+/);
          if ((mech || '').toUpperCase() === 'PLAIN') {
            if (initial) return finishPlain(initial);
            mode = 'auth-plain';
            return reply('334 ');
          }
          if ((mech || '').toUpperCase() === 'LOGIN') {
            if (initial) {
              loginUser = Buffer.from(initial, 'base64').toString('utf8');
              mode = 'auth-login-pass';
              return reply(`334 ${Buffer.from('Password:').toString('base64')}`);
            }
            mode = 'auth-login-user';
            return reply(`334 ${Buffer.from('Username:').toString('base64')}`);
          }
          return reply('504 5.5.4 Unrecognized authentication type');
        }
        case 'MAIL':
          if (!/^FROM:/i.test(arg)) return reply('501 5.5.4 Syntax: MAIL FROM:<address>');
          if (from !== null) return reply('503 5.5.1 Nested MAIL command');
          from = stripPath(arg.slice(5));
          return reply('250 2.1.0 Ok');
        case 'RCPT':
          if (from === null) return reply('503 5.5.1 Need MAIL command');
          if (!/^TO:/i.test(arg)) return reply('501 5.5.4 Syntax: RCPT TO:<address>');
          to.push(stripPath(arg.slice(3)));
          return reply('250 2.1.5 Ok');
        case 'DATA':
          if (from === null || to.length === 0) return reply('503 5.5.1 Need RCPT command');
          mode = 'data';
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          reset();
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          sock.end();
          return;
        default:
          return reply('502 5.5.2 Command not recognized');
      }
    }

    function finishPlain(b64) {
      const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
      if (parts.length !== 3) return reply('501 5.5.2 Cannot decode AUTH PLAIN');
      auth = { mechanism: 'PLAIN', username: parts[1], password: parts[2] };
      return reply('235 2.7.0 Authentication successful');
    }

    sock.setEncoding('latin1'); // one character per byte; message data is decoded as UTF-8 at the end
    sock.on('data', (chunk) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        onLine(line);
      }
      if (buffer.length > (mode === 'data' ? MAX_DATA : MAX_LINE)) {
        reply('500 5.5.0 Line too long');
        sock.end();
      }
    });
    reply(`220 ${hostname} ESMTP fake`);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMessage(predicate = () => true, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async stop() {
      for (const w of waiters) {
        clearTimeout(w.timer);
      }
      waiters.clear();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

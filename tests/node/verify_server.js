// A webhook receiver that checks each request with the reference
// implementation of Standard Webhooks (the npm package standardwebhooks),
// or an HMAC-SHA256 header with node's crypto. It answers 204 when the
// signature verifies and 401 when it does not, and logs one JSON line per
// request: {ok, error, headers, body (base64)}.
//
//   node verify_server.js PORT LOG standard-webhooks SECRET
//   node verify_server.js PORT LOG hmac SECRET HEADER PREFIX hex|base64
// It prints "listening PORT" once it accepts connections (PORT 0: any).
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const { Webhook } = require('standardwebhooks');

const [port, logPath, scheme, secret, header, prefix, encoding] =
    process.argv.slice(2);
const log = fs.openSync(logPath, 'a');

function check(req, body) {
  if (scheme === 'standard-webhooks') {
    new Webhook(secret).verify(body, req.headers);
    return;
  }
  const got = req.headers[header.toLowerCase()];
  const want = prefix + crypto.createHmac('sha256', secret).update(body)
                               .digest(encoding);
  if (got === undefined) throw new Error('missing ' + header);
  if (got.length !== want.length ||
      !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want)))
    throw new Error('no matching signature');
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let ok = true, error = '';
    try {
      check(req, body);
    } catch (e) {
      ok = false;
      error = String(e.message || e);
    }
    fs.writeSync(log, JSON.stringify({
      ok, error, method: req.method, url: req.url, headers: req.headers,
      body: body.toString('base64'),
    }) + '\n');
    res.statusCode = ok ? 204 : 401;
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// Stand-ins that check AWS Signature Version 4 the way AWS does (tests of STS, DynamoDB through a role or a
// task role): verifySigV4 recomputes a request's signature from the secret of its access key, and a proxy in
// front of dynalite lets through only requests signed with given credentials and session token.
import { createHash, createHmac } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';

// SigV4 as AWS computes it, to check a request's Authorization header: {ok, accessKey, service, why}.
export function verifySigV4(req, body, secrets) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, why: 'no SigV4 Authorization header' };
  const [, accessKey, date, region, service, signed, signature] = m;
  const secret = secrets[accessKey];
  if (!secret) return { ok: false, accessKey, why: `unknown access key ${accessKey}` };
  const amzDate = req.headers['x-amz-date'] || '';
  if (!amzDate.startsWith(date)) return { ok: false, why: 'x-amz-date does not match the scope' };
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, why: 'host and x-amz-date must be signed' };
  const canonHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const [path, query = ''] = req.url.split('?');
  const canonical = [req.method, path, query, canonHeaders, signed, createHash('sha256').update(body).digest('hex')].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  const expect = createHmac('sha256', k).update(toSign).digest('hex');
  return expect === signature ? { ok: true, accessKey, service } : { ok: false, accessKey, why: 'SignatureDoesNotMatch' };
}

export const readBody = (req) => new Promise((resolve) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => resolve(Buffer.concat(c))); });
export const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));

// A proxy in front of dynalite (target): only requests signed with creds {accessKey, secret, token} and
// carrying its session token pass; the others get DynamoDB's UnrecognizedClientException. {url, stats, stop}.
export async function startSignedProxy(target, creds) {
  const stats = { passed: 0, refused: [] };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const v = verifySigV4(req, body, { [creds.accessKey]: creds.secret });
    if (!v.ok || req.headers['x-amz-security-token'] !== creds.token) {
      stats.refused.push(v.why || 'no session token');
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      return res.end(JSON.stringify({ __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' }));
    }
    stats.passed++;
    const u = new URL(target);
    const up = httpRequest({ host: u.hostname, port: u.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.end(body);
  });
  const url = await listen(server);
  return { url, stats, stop: () => new Promise((r) => server.close(r)) };
}

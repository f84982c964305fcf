// A stand-in of the AWS Lambda Runtime API (version 2018-06-01) for tests and bench/lambda_cold.sh: a local
// HTTP server that hands out queued events on GET /2018-06-01/runtime/invocation/next (a long poll, with the
// Lambda-Runtime-* headers), and records what the runtime posts to …/{id}/response, …/{id}/error and
// /init/error, answering 202 as Lambda does.
//
//   const rt = await new RuntimeAPI().start();            // rt.address → AWS_LAMBDA_RUNTIME_API
//   const out = await rt.invoke(event, { timeoutMs });    // → { kind: 'response'|'error', body, json, headers }
//   await rt.initError                                    // resolves when /init/error is posted
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const BASE = '/2018-06-01/runtime';

export class RuntimeAPI {
  constructor() {
    this.queue = [];      // invocations not yet handed out
    this.waiting = [];    // pending GET /next responses
    this.pending = new Map(); // request id → { resolve, invocation }
    this.posts = [];      // every POST: { path, headers, body }
    this.nextCalls = 0;
    this.nextAt = [];     // when each GET /next arrived
    this.sockets = new Set();
    this.initError = new Promise((r) => (this.resolveInit = r));
  }

  async start() {
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.keepAliveTimeout = 600000;
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.address = `127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const w of this.waiting) w.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  // Queues one invocation; resolves with what the runtime posted for it. event: an object (sent as JSON)
  // or a string (sent as it is, e.g. malformed JSON). timeoutMs: the function's time-out (deadline header).
  invoke(event, { timeoutMs = 30000, traceId, requestId = randomUUID() } = {}) {
    const inv = {
      id: requestId,
      body: typeof event === 'string' ? event : JSON.stringify(event),
      deadline: Date.now() + timeoutMs,
      traceId: traceId ?? `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:bookchat',
    };
    const done = new Promise((resolve) => this.pending.set(inv.id, { resolve, inv }));
    const w = this.waiting.shift();
    if (w) this.#send(w, inv); else this.queue.push(inv);
    return done;
  }

  #send(res, inv) {
    inv.handedOutAt = Date.now();
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': inv.id,
      'lambda-runtime-deadline-ms': String(inv.deadline),
      'lambda-runtime-trace-id': inv.traceId,
      'lambda-runtime-invoked-function-arn': inv.arn,
    });
    res.end(inv.body);
  }

  #handle(req, res) {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === `${BASE}/invocation/next`) {
        this.nextCalls++;
        this.nextAt.push(Date.now());
        const inv = this.queue.shift();
        if (inv) this.#send(res, inv); else this.waiting.push(res);
        return;
      }
      if (req.method !== 'POST') { res.writeHead(405); res.end(); return; }
      const post = { path: req.url, headers: req.headers, body: raw, at: Date.now() };
      this.posts.push(post);
      let json;
      try { json = JSON.parse(raw); } catch { json = undefined; }
      if (req.url === `${BASE}/init/error`) {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
        this.resolveInit({ ...post, json });
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(req.url);
      const p = m && this.pending.get(m[1]);
      if (!p) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}');
        return;
      }
      this.pending.delete(m[1]);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
      p.resolve({ kind: m[2], body: raw, json, headers: req.headers, invocation: p.inv, at: post.at });
    });
  }
}

// An API Gateway HTTP API event (payload format 2.0); functionUrl: the Function URL flavour (no routeKey
// "$default" stage, a lambda-url domain). headers: names as given (lower-cased as API Gateway does).
export function httpEvent({ method = 'GET', path = '/', query = '', headers = {}, cookies, body, base64 = false,
  sourceIp = '203.0.113.9', functionUrl = false } = {}) {
  const h = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  const ev = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: h,
    requestContext: {
      accountId: functionUrl ? 'anonymous' : '123456789012',
      apiId: functionUrl ? 'abcdefghijklmnop' : 'a1b2c3d4e5',
      domainName: functionUrl ? 'abcdefghijklmnop.lambda-url.eu-west-1.on.aws' : 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: functionUrl ? 'abcdefghijklmnop' : 'a1b2c3d4e5',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp, userAgent: 'node' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: base64,
  };
  if (cookies) ev.cookies = cookies;
  if (body !== undefined) ev.body = body;
  return ev;
}

// An EventBridge scheduled event, as a schedule rule sends it.
export function scheduledEvent() {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/bookchat-housekeeping'],
    detail: {},
  };
}

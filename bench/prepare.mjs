// The data side of `make bench` (scripts/bench.sh): talks to a running `bookchat serve` over its public
// APIs and writes the files the wrk scripts (bench/wrk/*.lua) read, one request's data per TSV line.
//
//   node bench/prepare.mjs realistic  --url U --token T --keys KEYS.jsonl [--days 28] [--per-day 6]
//       raises the BUSINESS plan's rate limit and monthly limits (a throwaway bench store: wrk must not be
//       throttled), then books ~per-day appointments a working day over the next days for every
//       professional of the tenants in KEYS (the calendars the availability benchmark reads)
//   node bench/prepare.mjs prepare    --url U --token T --keys KEYS.jsonl --out DIR [--conversations N]
//       reads.tsv (key, service, professional, from, to 7 days, to 28 days), nginx-body.json (as many bytes
//       as tenant 0's GET /v1/widget/services), slots.tsv (distinct free slots, shuffled: one booking each),
//       convs.tsv (conversations with their token and the four turns they cycle through), victim.tsv and
//       flood.tsv (the noisy neighbour: tenants 0 and 1 of KEYS), meta.json
//   node bench/prepare.mjs noisy      --url U --token T --keys KEYS.jsonl [--limit 500]
//       sets the rate limit of tenant 1 of KEYS (the flooder) to --limit requests/s (burst the same)
//   node bench/prepare.mjs ids        --url U --keys KEYS.jsonl[,MORE.jsonl] --out FILE
//       reads.tsv rows for every tenant of the key files (the reads spread over all tenants)
//   node bench/prepare.mjs servertime --log ACCESS_LOG --offset BYTES --route NAME [--tenant ID]
//       server time of the route's 2xx answers in the access log from BYTES on: {count, mean, p50, p99} in ms,
//       the mean size of their bodies, and their rate from the first to the last (span_s, rate)
//   node bench/prepare.mjs summary    --file RUN.json
//       one wrk run's summary in words (the progress log)
import { readFileSync, writeFileSync, openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const ORIGIN = process.env.BENCH_ORIGIN || 'https://shop.example.com'; // the origin `dev seed` allows
const [cmd, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];

function die(msg) {
  console.error(`prepare: ${msg}`);
  process.exit(1);
}

async function req(method, path, { key, token, conv, body, headers = {} } = {}) {
  const h = { ...headers };
  if (key) Object.assign(h, { 'x-api-key': key, origin: ORIGIN });
  if (token) h.authorization = `Bearer ${token}`;
  if (conv) h['x-conversation-token'] = conv;
  if (body !== undefined) h['content-type'] = 'application/json';
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(args.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status === 429 && attempt < 20) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text, headers: res.headers };
  }
}

async function must(method, path, opts, want = 200) {
  const r = await req(method, path, opts);
  if (r.status !== want) die(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

// runs fn over items with at most n at once; results in order
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

// deterministic pseudo-random numbers (the same calendars every run)
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}
function shuffle(a, rand) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const day = (offset) => new Date(Date.now() + offset * 86400e3).toISOString().slice(0, 10);
const readKeys = (files) =>
  files.split(',').flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));

// The tenant's catalogue as the widget sees it: its 30-minute service (the first) and its professionals.
async function catalogue(t) {
  const s = await must('GET', '/v1/widget/services', { key: t.key });
  const p = await must('GET', '/v1/widget/providers', { key: t.key });
  const svc = s.json.items.find((x) => x.duration_min === 30) || s.json.items[0];
  return { ...t, services: s.json.items, svc, pros: p.json.items.filter((x) => x.service_ids.includes(svc.id)), servicesBytes: Buffer.byteLength(s.text) };
}

async function freeSlots(t, pro, from, to) {
  const q = `service_id=${t.svc.id}&provider_id=${pro.id}&from=${from}&to=${to}`;
  return (await must('GET', `/v1/widget/availability?${q}`, { key: t.key })).json.slots;
}

// greedy non-overlapping subset, in start order
function disjoint(slots) {
  const out = [];
  let end = '';
  for (const s of [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start))) {
    if (!end || Date.parse(s.start) >= Date.parse(end)) {
      out.push(s);
      end = s.end;
    }
  }
  return out;
}

async function raisePlan() {
  const plans = await must('GET', '/v1/platform/plans', { token: args.token });
  const p = plans.json.items.find((x) => x.name === 'BUSINESS');
  const { name, ...plan } = p;
  await must('PUT', '/v1/platform/plans/BUSINESS', {
    token: args.token,
    body: { ...plan, rate_per_s: 100000, burst: 1000000, messages_month: null, bookings_month: null },
  });
}

async function realistic() {
  await raisePlan();
  const days = Number(args.days || 28), perDay = Number(args['per-day'] || 6);
  const tenants = await pool(readKeys(args.keys), 8, catalogue);
  const rand = rng(20261129);
  const jobs = [];
  for (const t of tenants) {
    for (const pro of t.pros) {
      const byDay = new Map();
      for (const s of await freeSlots(t, pro, day(1), day(days))) {
        const d = s.start.slice(0, 10);
        if (!byDay.has(d)) byDay.set(d, []);
        byDay.get(d).push(s);
      }
      for (const slots of byDay.values()) {
        // pick perDay random slots of the day that do not overlap each other
        const chosen = [];
        for (const s of shuffle([...slots], rand)) {
          if (chosen.length >= perDay) break;
          const a = Date.parse(s.start), b = Date.parse(s.end);
          if (chosen.every((c) => b <= Date.parse(c.start) || a >= Date.parse(c.end))) chosen.push(s);
        }
        for (const s of chosen) jobs.push({ t, pro, s });
      }
    }
  }
  let ok = 0, failed = 0;
  await pool(jobs, 4, async ({ t, pro, s }, i) => {
    const r = await req('POST', '/v1/widget/bookings', {
      key: t.key,
      body: { service_id: t.svc.id, provider_id: pro.id, start: s.start, customer: { name: `Cliente ${i}`, email: `cliente${i}@example.com` } },
    });
    if (r.status === 201) ok++; else failed++;
  });
  console.log(JSON.stringify({ realistic_bookings: ok, failed, days, per_day: perDay }));
}

function readsRows(tenants) {
  const from = day(1), to7 = day(7), to28 = day(28);
  return tenants.map((t) => [t.key, t.svc.id, t.pros[0].id, from, to7, to28].join('\t')).join('\n') + '\n';
}

async function prepare() {
  const out = args.out;
  const tenants = await pool(readKeys(args.keys), 8, catalogue);
  writeFileSync(join(out, 'reads.tsv'), readsRows(tenants));

  // nginx's body: a JSON document exactly as long as tenant 0's services answer
  const bytes = tenants[0].servicesBytes;
  const head = '{"items":[],"pad":"', tail = '"}';
  writeFileSync(join(out, 'nginx-body.json'), head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail);

  // bookings: every free slot that does not overlap another, over the booking horizon, shuffled
  const rand = rng(7);
  const slots = [];
  for (const t of tenants) {
    for (const pro of t.pros) {
      for (const s of disjoint(await freeSlots(t, pro, day(1), day(59))))
        slots.push([t.key, t.svc.id, pro.id, s.start, randomBytes(12).toString('hex')].join('\t'));
    }
  }
  shuffle(slots, rand);
  writeFileSync(join(out, 'slots.tsv'), slots.join('\n') + '\n');

  // chat: conversations that cycle through four turns (a free-text request for the service, a
  // professional, a day with free times, start over), spread over the tenants
  const nconv = Number(args.conversations || 1024);
  const convs = await pool(Array.from({ length: nconv }, (_, i) => tenants[i % tenants.length]), 16, async (t) => {
    const c = await must('POST', '/v1/widget/conversations', { key: t.key, body: {} }, 201);
    const lang = c.json.conversation.lang;
    const name = t.svc.name.toLowerCase();
    const dayOf = (await freeSlots(t, t.pros[0], day(2), day(9)))[0]?.start.slice(0, 10) || day(2);
    const turns = [
      { text: lang === 'en' ? `I would like to book a ${name}` : `quiero reservar ${name}` },
      { action: `pro:${t.pros[0].id}` },
      { action: `day:${dayOf}` },
      { action: 'restart' },
    ];
    return { t, id: c.json.conversation.id, token: c.json.conversation.token, turns };
  });
  // one probe conversation through two cycles: every turn must answer 200
  const probe = convs[0], states = [];
  for (let k = 0; k < 8; k++) {
    const r = await must('POST', `/v1/widget/conversations/${probe.id}/messages`, { key: probe.t.key, conv: probe.token, body: probe.turns[k % 4] });
    states.push(r.json.conversation?.state ?? r.json.state);
  }
  writeFileSync(join(out, 'convs.tsv'),
    convs.slice(1).map((c) => [c.t.key, c.id, c.token, ...c.turns.map((x) => JSON.stringify(x))].join('\t')).join('\n') + '\n');

  // noisy neighbour: tenant 0 is the victim, tenant 1 floods (its limit is set by `noisy`, just before)
  const flooder = tenants[1], victim = tenants[0];
  writeFileSync(join(out, 'victim.tsv'), readsRows([victim]));
  writeFileSync(join(out, 'flood.tsv'), readsRows([flooder]));

  const meta = {
    tenants: tenants.length,
    services_bytes: bytes,
    free_slots: slots.length,
    conversations: convs.length - 1,
    chat_probe_states: states,
    victim: victim.tenant,
    flooder: flooder.tenant,
    from: day(1),
  };
  writeFileSync(join(out, 'meta.json'), JSON.stringify(meta, null, 1));
  console.log(JSON.stringify(meta));
}

// The noisy neighbour's rate limit: a per-tenant override, checked through the widget's headers.
async function noisy() {
  const limit = Number(args.limit || 500);
  const [flooder] = readKeys(args.keys).slice(1, 2);
  await must('PATCH', `/v1/platform/tenants/${flooder.tenant}`, { token: args.token, body: { limits: { rate_per_s: limit, burst: limit } } });
  const check = await must('GET', '/v1/widget/services', { key: flooder.key });
  if (Number(check.headers.get('ratelimit-limit')) !== limit) die(`the flooder's limit is ${check.headers.get('ratelimit-limit')}, not ${limit}`);
  console.log(JSON.stringify({ flooder: flooder.tenant, limit_per_s: limit }));
}

async function ids() {
  const tenants = await pool(readKeys(args.keys), 32, catalogue);
  writeFileSync(args.out, readsRows(tenants));
  console.log(JSON.stringify({ tenants: tenants.length }));
}

function servertime() {
  const fd = openSync(args.log, 'r');
  const size = fstatSync(fd).size, offset = Number(args.offset || 0);
  const buf = Buffer.alloc(Math.max(0, size - offset));
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  const ms = [];
  let bytes = 0, first = Infinity, last = -Infinity;
  const route = `"route":"${args.route}"`, tenant = args.tenant ? `"tenant":"${args.tenant}"` : '';
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line.includes(route) || !line.includes('"type":"access"') || (tenant && !line.includes(tenant))) continue;
    try {
      const o = JSON.parse(line);
      if (o.status >= 200 && o.status < 300) {
        ms.push(o.ms);
        bytes += o.bytes_out;
        const t = Date.parse(o.ts);
        if (t < first) first = t;
        if (t > last) last = t;
      }
    } catch { /* a line cut by the offset */ }
  }
  ms.sort((a, b) => a - b);
  const pct = (p) => (ms.length ? ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] : null);
  const mean = ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : null;
  // the span from the first to the last 2xx answer: the rate while the work lasted (a run whose data ran out)
  const span_s = ms.length > 1 ? (last - first) / 1000 : null;
  console.log(JSON.stringify({ count: ms.length, mean, p50: pct(50), p99: pct(99), bytes_mean: ms.length ? bytes / ms.length : null,
    span_s, rate: span_s ? (ms.length - 1) / span_s : null }));
}

// One wrk summary (bench/wrk/common.lua's line) in words, for the progress log.
function summary() {
  const r = JSON.parse(readFileSync(args.file, 'utf8'));
  const ms = (us) => (us / 1000).toFixed(2);
  console.log(`${Math.round(r.rps)} req/s, p50 ${ms(r.p50_us)} ms, p99 ${ms(r.p99_us)} ms, statuses ${JSON.stringify(r.statuses)}, errors ${JSON.stringify(r.errors)}`);
}

const cmds = { realistic, prepare, noisy, ids, servertime, summary };
if (!cmds[cmd]) die(`unknown command '${cmd}' (realistic, prepare, noisy, ids, servertime, summary)`);
await cmds[cmd]();

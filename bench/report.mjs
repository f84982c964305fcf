// The report of `make bench`: reads the results directory of scripts/bench.sh (one JSON file per wrk run,
// the access log's server times, memory, the commit ceiling, the machine) and prints the tables; writes
// OUT/bench.json (everything, raw and derived) and OUT/bench.md (the tables, for docs/performance.md).
//
//   node bench/report.mjs RESULTS_DIR OUT_DIR
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, out] = process.argv.slice(2);
const loadFile = (name) => (existsSync(join(dir, `${name}.json`)) ? JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) : null);
const median = (xs) => {
  const v = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : null;
};
// A benchmark run in rounds (NAME_r1, NAME_r2, …) reads as one: the median of each figure, the rounds kept.
function load(name) {
  const one = loadFile(name);
  if (one || !loadFile(`${name}_r1`)) return one;
  const rounds = [];
  for (let i = 1; loadFile(`${name}_r${i}`); i++) rounds.push(i);
  const parts = (suffix) => rounds.map((i) => loadFile(`${name}_r${i}${suffix}`));
  const merge = (objs) => {
    if (objs.some((o) => !o)) return null;
    const out = {};
    for (const k of Object.keys(objs[0])) {
      out[k] = typeof objs[0][k] === 'number' ? median(objs.map((o) => o[k])) : objs[0][k];
    }
    return out;
  };
  const [base, server, cpu, run] = ['', '.server', '.cpu', '.run'].map((x) => parts(x));
  if (name.endsWith('.server') || name.endsWith('.cpu') || name.endsWith('.run')) return null;
  const r = merge(base);
  r.statuses = {};
  for (const b of base) for (const [k, v] of Object.entries(b.statuses || {})) r.statuses[k] = (r.statuses[k] || 0) + v;
  r.errors = Object.fromEntries(Object.keys(base[0].errors).map((k) => [k, base.reduce((a, b) => a + b.errors[k], 0)]));
  // CPU per request per round, so that its median is of the ratio
  r.cpu_us_rounds = cpu.every(Boolean) ? base.map((b, i) => (cpu[i].cpu_s * 1e6) / b.requests) : null;
  r.rounds = rounds.length;
  r.round_runs = base;
  roundExtras[name] = { server: merge(server), cpu: merge(cpu), run: run[0] };
  return r;
}
const roundExtras = {};

const machine = load('machine');
const commit = load('commit');
const nginx = load('nginx');
const ms = (us) => (us == null ? '–' : (us / 1000).toFixed(2));
const f2 = (x) => (x == null ? '–' : x.toFixed(3));
const int = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

// non-2xx answers and socket errors of a run, in words
function problems(r) {
  const bad = Object.entries(r.statuses || {}).filter(([s]) => s < 200 || s >= 300).map(([s, n]) => `${n}×${s}`);
  const e = r.errors;
  const sock = e.connect + e.read + e.write + e.timeout;
  if (!Object.keys(r.statuses || {}).length && e.status) bad.push(`${e.status} non-2xx`);
  if (sock) bad.push(`${sock} socket errors`);
  if (r.exhausted) bad.push(`${r.exhausted} after the slots ran out`);
  return bad.join(', ') || '0';
}

const rows = [
  ['nginx', `nginx, static ${load('nginx-body')?.body_bytes ?? '?'} B JSON (ceiling)`],
  ['services', 'GET /v1/widget/services'],
  ['config', 'GET /v1/widget/config'],
  ['avail7', 'GET /v1/widget/availability, 7 days'],
  ['avail28', 'GET /v1/widget/availability, 28 days'],
  ['avail7_1conn', 'GET /v1/widget/availability, 7 days, 1 connection'],
  ['bookings', 'POST /v1/widget/bookings (distinct free slots)'],
  ['chat', 'POST …/conversations/{id}/messages (fsm turns)'],
  ['services_big', 'GET /v1/widget/services, 10,000 tenants (same 10)'],
  ['config_big', 'GET /v1/widget/config, 10,000 tenants (same 10)'],
  ['avail7_big', 'GET /v1/widget/availability 7 d, 10,000 tenants (same 10)'],
  ['services_big_spread', 'GET /v1/widget/services, spread over 10,000 tenants'],
  ['config_big_spread', 'GET /v1/widget/config, spread over 10,000 tenants'],
  ['avail7_big_spread', 'GET /v1/widget/availability 7 d, spread over 10,000 tenants'],
];
const big = machine?.tenants_big ?? 10000;
const runs = {};
const table = [];
for (const [name, label0] of rows) {
  let r = load(name);
  if (!r) continue;
  const run = loadFile(`${name}.run`) || roundExtras[name]?.run || {};
  const server = loadFile(`${name}.server`) || roundExtras[name]?.server;
  const cpu = loadFile(`${name}.cpu`) || roundExtras[name]?.cpu;
  // a run whose data ran out (bookings on distinct slots) idled on GET /healthz after: its rate is the
  // server's, from the first to the last answer of the route (access log), and its CPU is per answer
  if (r.exhausted && server?.rate) r = { ...r, rps: server.rate, requests: server.count, ran_out: true };
  const label = label0.replace('10,000', big.toLocaleString('en-US'));
  const cpu_us = r.cpu_us_rounds ? median(r.cpu_us_rounds) : cpu && r.requests ? (cpu.cpu_s * 1e6) / r.requests : null;
  const after_us = cpu?.after_idle_s && r.requests ? (cpu.after_cpu_s * 1e6) / r.requests : null;
  runs[name] = { label, ...run, ...r, server, cpu_s: cpu?.cpu_s, cpu_us_per_req: cpu_us, after_idle_s: cpu?.after_idle_s,
    after_cpu_s: cpu?.after_cpu_s, after_cpu_us_per_req: after_us, ratio_to_nginx: nginx ? r.rps / nginx.rps : null };
  table.push([(r.rounds ? `${label} (median of ${r.rounds} runs)` : label) + (r.ran_out ? ', until the slots ran out (rate from the access log)' : ''), run.connections ?? '', int(r.rps), ms(r.p50_us), ms(r.p99_us),
    nginx && name !== 'nginx' ? r.rps / nginx.rps : name === 'nginx' ? 1 : null,
    server ? `${f2(server.mean)} / ${f2(server.p99)}` : '–', cpu_us == null ? '–' : Math.round(cpu_us), problems(r)]);
}
if (commit) {
  table.push([`store commit + fsync alone (bench_commit, ${commit.threads} threads)`, '', int(commit.commits_per_s),
    ms(commit.p50_us), ms(commit.p99_us), nginx ? commit.commits_per_s / nginx.rps : null, '–', '–', '0']);
}

function md(header, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}
const mainTable = md(['benchmark', 'conns', 'requests/s', 'p50 ms', 'p99 ms', 'ratio to nginx', 'server ms mean / p99', 'server CPU µs/req', 'non-2xx, errors'],
  table.map((r) => r.map((c, i) => (i === 5 ? (c == null ? '–' : c.toFixed(2)) : c))));

// cost per request with 10 and BIG tenants: the server's CPU time per request (robust to other work on the
// machine), requests/s and server time, and their ratios
const scale = [];
const scaling = {};
const r2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
for (const [kind, label] of [['services', 'services'], ['config', 'config'], ['avail7', 'availability 7 d']]) {
  const a = runs[kind], b = runs[`${kind}_big`], c = runs[`${kind}_big_spread`];
  if (!a || !b) continue;
  scaling[kind] = {
    cpu_us_10: a.cpu_us_per_req, cpu_us_big: b.cpu_us_per_req, cpu_us_big_spread: c?.cpu_us_per_req,
    // same 10: the median of the per-round ratios (each pair of runs back to back)
    cpu_ratio_big: a.cpu_us_rounds && b.cpu_us_rounds ? median(a.cpu_us_rounds.map((x, i) => b.cpu_us_rounds[i] / x)) : b.cpu_us_per_req / a.cpu_us_per_req,
    cpu_ratio_big_rounds: a.cpu_us_rounds && b.cpu_us_rounds ? a.cpu_us_rounds.map((x, i) => b.cpu_us_rounds[i] / x) : null,
    cpu_ratio_big_spread: c ? c.cpu_us_per_req / a.cpu_us_per_req : null,
    rps_10: a.rps, rps_big: b.rps, rps_big_spread: c?.rps,
    rps_ratio_big: b.rps / a.rps, rps_ratio_big_spread: c ? c.rps / a.rps : null,
    server_ms_10: a.server?.mean, server_ms_big: b.server?.mean, server_ms_big_spread: c?.server?.mean,
    spread_after_cpu_s: c?.after_cpu_s, spread_after_idle_s: c?.after_idle_s, spread_after_cpu_us_per_req: c?.after_cpu_us_per_req,
  };
  const s = scaling[kind];
  const kb = (r) => (r?.server?.bytes_mean == null ? '–' : Math.round(r.server.bytes_mean).toLocaleString('en-US'));
  scale.push([label, `${Math.round(s.cpu_us_10)} / ${Math.round(s.cpu_us_big)} / ${c ? Math.round(s.cpu_us_big_spread) : '–'}`,
    `${r2(s.cpu_ratio_big)} / ${r2(s.cpu_ratio_big_spread)}`,
    `${int(a.rps)} / ${int(b.rps)} / ${c ? int(c.rps) : '–'}`, `${r2(s.rps_ratio_big)} / ${r2(s.rps_ratio_big_spread)}`,
    `${f2(s.server_ms_10)} / ${f2(s.server_ms_big)} / ${f2(s.server_ms_big_spread)}`, `${kb(a)} / ${kb(b)} / ${kb(c)}`,
    c?.after_cpu_s != null ? `${c.after_cpu_s.toFixed(2)} s = ${Math.round(c.after_cpu_us_per_req)} µs/req` : '–']);
}
const bigs = big.toLocaleString('en-US');
const scaleTable = md(['read', `server CPU µs/req: 10 / ${bigs} same 10 / ${bigs} spread`, 'ratio to 10 tenants',
  'requests/s: 10 / same 10 / spread', 'ratio', 'server ms mean: 10 / same 10 / spread', 'answer bytes: 10 / same 10 / spread',
  'CPU in the idle s after the spread run (usage, key flushes)'], scale);

// memory
const mem = {};
for (const n of ['s10-idle', 's10-load', 'big-idle', 'big-load']) mem[n] = load(`mem-${n}`);
const mb = (kb) => (kb == null ? '–' : (kb / 1024).toFixed(1));
const anon = { s10: load('anon-s10'), big: load('anon-big') };
const store = load('store');
const memRows = [
  ['10 tenants, idle', mem['s10-idle'], null], ['10 tenants, after the load', mem['s10-load'], anon.s10],
  [`${bigs} tenants, idle`, mem['big-idle'], null], [`${bigs} tenants, after the load`, mem['big-load'], anon.big],
].filter(([, m]) => m).map(([label, m, a]) => [label, mb(m.VmRSS_kb), mb(m.VmHWM_kb), mb(m.RssAnon_kb), a ? mb(a.RssAnon_peak_kb) : '–', mb(m.RssFile_kb)]);
const memTable = md(['server', 'VmRSS MB', 'VmHWM MB (peak)', 'RssAnon MB', 'RssAnon peak MB', 'RssFile MB (mapped store)'], memRows) +
  (store ? `\n\nStore files: ${store.s10_mb} MB with 10 tenants, ${store.big_mb} MB with ${bigs}. RssFile is the part of the LMDB map the process has touched: page cache, shared and reclaimable; RssAnon is the process's own memory.` : '');

// noisy neighbour: pairs of (victim alone, victim beside the flood); the change compares the median p99s
const pairs = [1, 2, 3].map((i) => ({
  solo: load(`victim_solo${i}`), under: load(`victim_flood${i}`), flood: load(`flood${i}`),
  solo_server: load(`victim_solo${i}.server`), under_server: load(`victim_flood${i}.server`),
  apart: load(`victim_apart${i}`), flood_apart: load(`flood_apart${i}`),
})).filter((p) => p.solo && p.under && p.flood);
const nsetup = load('noisy-setup'), nlimit = load('noisy');
let noisy = null, noisyTable = '';
if (pairs.length) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const soloP99 = median(pairs.map((p) => p.solo.p99_us)), underP99 = median(pairs.map((p) => p.under.p99_us));
  const soloSrv = median(pairs.map((p) => p.solo_server?.p99 ?? NaN)), underSrv = median(pairs.map((p) => p.under_server?.p99 ?? NaN));
  const change = underP99 / soloP99 - 1;
  // the control: the same flood sent to another bookchat process (scripts/bench.sh)
  const aparts = pairs.filter((p) => p.apart);
  const apartP99 = aparts.length ? median(aparts.map((p) => p.apart.p99_us)) : null;
  const apartChange = apartP99 == null ? null : apartP99 / soloP99 - 1;
  noisy = {
    limit_per_s: nlimit?.limit_per_s, ...nsetup, victim_p99_solo_us: soloP99, victim_p99_flood_us: underP99, p99_change: change, met: change <= 0.2,
    victim_server_p99_solo_ms: soloSrv, victim_server_p99_flood_ms: underSrv, server_p99_change: underSrv / soloSrv - 1,
    victim_p99_flood_apart_us: apartP99, p99_change_flood_apart: apartChange,
    pairs: pairs.map((p) => ({
      victim_rps: p.under.rps, victim_p50_solo_us: p.solo.p50_us, victim_p99_solo_us: p.solo.p99_us, victim_p50_flood_us: p.under.p50_us,
      victim_p99_flood_us: p.under.p99_us, victim_server_solo: p.solo_server, victim_server_flood: p.under_server,
      victim_statuses_solo: p.solo.statuses, victim_statuses_flood: p.under.statuses,
      flood_rps: p.flood.rps, flood_x_limit: nlimit ? p.flood.rps / nlimit.limit_per_s : null, flood_statuses: p.flood.statuses,
      victim_p99_flood_apart_us: p.apart?.p99_us ?? null, flood_apart_statuses: p.flood_apart?.statuses ?? null,
    })),
  };
  const rows = pairs.map((p, i) => [`pair ${i + 1}`, `${ms(p.solo.p50_us)} / ${ms(p.solo.p99_us)}`, `${ms(p.under.p50_us)} / ${ms(p.under.p99_us)}`,
    pct(p.under.p99_us / p.solo.p99_us - 1), p.apart ? `${ms(p.apart.p99_us)} (${pct(p.apart.p99_us / p.solo.p99_us - 1)})` : '–',
    `${f2(p.solo_server?.p99)} → ${f2(p.under_server?.p99)}`,
    `${int(p.flood.rps)} req/s = ${nlimit ? (p.flood.rps / nlimit.limit_per_s).toFixed(1) : '?'}× its limit`,
    `${int(p.flood.statuses?.['200'] || 0)}×200, ${int(p.flood.statuses?.['429'] || 0)}×429`, problems(p.under)]);
  rows.push(['median', `${ms(soloP99)}`, `${ms(underP99)}`, `**${pct(change)}**`,
    apartP99 == null ? '–' : `${ms(apartP99)} (${pct(apartChange)})`, `${f2(soloSrv)} → ${f2(underSrv)} (${pct(underSrv / soloSrv - 1)})`,
    `target ≤ +20 %: **${change <= 0.2 ? 'met' : 'missed'}**`, '', '']);
  noisyTable = `The victim (tenant 0) reads its services at a fixed ${nsetup?.victim_rate ?? '?'} req/s; the flooder (tenant 1, rate limit ${nlimit?.limit_per_s}/s) ` +
    `sends ${nsetup?.flood_rate ?? '?'} req/s beside it; three rounds of runs, alternating. The control sends the same flood to another bookchat ` +
    `process on the machine while the victim reads from its own: what the flood's traffic on the two shared cores costs the victim by itself.\n\n` +
    md(['', 'victim alone p50 / p99 ms', 'beside the flood p50 / p99 ms', 'p99 change', 'control: p99 ms beside a flood on another process (change)',
      'victim server-time p99 ms, alone → flood', 'flood', 'flood answers', "victim's non-2xx"], rows);
}

// targets
const targets = [];
const tgt = (name, value, goal, met) => targets.push({ name, value, goal, met });
// issue 21's targets first (each measured in this run), then the earlier ones that still hold
if (runs.services && nginx) tgt('services: ratio to nginx (64 connections)', `${runs.services.ratio_to_nginx.toFixed(2)}`, '≥ 0.8', runs.services.ratio_to_nginx >= 0.8);
if (scaling.services?.cpu_ratio_big_spread != null) tgt(`services: server CPU per request spread over ${bigs} tenants / 10 hot tenants`, `${r2(scaling.services.cpu_ratio_big_spread)} ×`, '≤ 2 ×', scaling.services.cpu_ratio_big_spread <= 2);
for (const [k, s] of Object.entries(scaling)) {
  if (s.spread_after_cpu_us_per_req == null) continue;
  tgt(`${k}: server CPU in the idle seconds after the spread run, per request served`, `${Math.round(s.spread_after_cpu_us_per_req)} µs`, '≤ 10 µs', s.spread_after_cpu_us_per_req <= 10);
}
for (const [k, s] of Object.entries(scaling)) {
  const rounds = s.cpu_ratio_big_rounds ? ` (rounds ${s.cpu_ratio_big_rounds.map((x) => x.toFixed(2)).join(', ')})` : '';
  tgt(`${k}: server CPU per request, the same 10 tenants in a store of ${bigs} / of 10`, `${r2(s.cpu_ratio_big)}${rounds}`, '≤ 1.10', s.cpu_ratio_big <= 1.1);
}
if (runs.bookings && commit) {
  const r = runs.bookings.rps / commit.commits_per_s;
  tgt('bookings: rate / the store\'s commit rate', `${int(runs.bookings.rps)} / ${int(commit.commits_per_s)} = ${r.toFixed(2)}`, '≥ 0.8', r >= 0.8);
  const c = runs.bookings.statuses?.['409'] || 0;
  tgt('bookings: conflicts (409) on distinct slots', `${c}`, '0', c === 0);
}
if (runs.chat) tgt(`fsm chat turns (${runs.chat.connections} connections)`, `${int(runs.chat.rps)}/s`, '≥ 20,000/s', runs.chat.rps >= 20000);
if (noisy) {
  tgt('noisy neighbour: victim p99 change (median of 3 pairs)', pct(noisy.p99_change), '≤ +20 %', noisy.met);
  tgt('noisy neighbour: victim server-time p99 change (access log)', pct(noisy.server_p99_change), '≤ +20 %', noisy.server_p99_change <= 0.2);
  if (noisy.p99_change_flood_apart != null)
    tgt('noisy neighbour, the control: victim p99 change beside the same flood sent to another process', pct(noisy.p99_change_flood_apart), '(the machine)', null);
}
if (runs.config && nginx) tgt('config: ratio to nginx', `${runs.config.ratio_to_nginx.toFixed(2)}`, '≥ 0.8', runs.config.ratio_to_nginx >= 0.8);
for (const k of ['services', 'config']) if (runs[k]) tgt(`${k}: p99 at ${runs[k].connections} connections`, `${ms(runs[k].p99_us)} ms`, '< 5 ms', runs[k].p99_us < 5000);
if (runs.avail7_1conn?.server) tgt('availability 7 d: server time, 1 connection (mean / p99)', `${f2(runs.avail7_1conn.server.mean)} / ${f2(runs.avail7_1conn.server.p99)} ms`, '< 0.3 ms', runs.avail7_1conn.server.mean < 0.3);
if (mem['big-load']) {
  const peak = anon.big?.RssAnon_peak_kb ?? mem['big-load'].RssAnon_kb;
  tgt(`memory with ${bigs} tenants: the process's own (RssAnon peak)`, `${mb(peak)} MB`, '< 100 MB', peak < 100 * 1024);
}
const targetTable = md(['target', 'measured', 'goal', ''], targets.map((t) => [t.name, t.value, t.goal, t.met == null ? '' : t.met ? 'met' : 'missed']));

const total = load('total');
const seedBig = load('seed-big');
const head = `bookchat bench — ${machine?.date ?? ''}, commit ${machine?.commit ?? '?'}, ${machine?.cores} × ${machine?.cpu}, Linux ${machine?.kernel}; ` +
  `wrk ${machine?.wrk}, nginx ${machine?.nginx}; ${machine?.duration_s} s per run; total ${total?.total_s ?? '?'} s` +
  (machine?.server_cpus || machine?.client_cpus
    ? `; pinned: servers, nginx and bench_commit on cores ${machine.server_cpus || 'any'}, wrk on ${machine.client_cpus || 'any'}`
    : '') +
  (seedBig ? ` (seeding ${int(seedBig.tenants)} tenants: ${seedBig.seconds.toFixed(0)} s)` : '') +
  (total?.other_cpu_share != null ? `; other work on the machine used ${(total.other_cpu_share * 100).toFixed(0)} % of its CPU meanwhile (load average ${machine?.loadavg_start} at the start)` : '');
const text = [`## Results\n\n${head}\n`, mainTable, `\n### Cost per request with 10 and ${bigs} tenants\n`, scaleTable,
  `\n### Memory\n`, memTable, `\n### Noisy neighbour\n`, noisyTable, `\n### Targets (issue 21, then earlier ones)\n`, targetTable, ''].join('\n');
console.log(text);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'bench.md'), text);
writeFileSync(join(out, 'bench.json'), JSON.stringify({
  machine, runs, commit, scaling, memory: mem, noisy, targets, total_s: total?.total_s, other_cpu_share: total?.other_cpu_share,
  seed: { ten: load('seed-10'), big: seedBig, realistic: load('realistic') }, store, memory_anon_peak: anon, prepare: load('prepare'),
}, null, 1));

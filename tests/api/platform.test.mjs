// The operator's platform API and the tenant settings: onboarding output, listing, plan and limit changes,
// plans as editable data, settings validation, AI mode limited by plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, dumpTenant } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('creating a tenant returns the tenant, a working key, an owner login and the snippet', async () => {
  const r = await srv.platform('POST', '/v1/platform/tenants', {
    name: 'Peluquería Ana', locale: 'es', timezone: 'Europe/Madrid', plan: 'PRO',
    origins: ['https://ana.example.com'], owner_email: 'Ana@Example.com', empty: true,
  });
  assert.equal(r.status, 201, r.text);
  const { tenant, api_key, owner, snippet } = r.json;
  assert.match(tenant.id, /^[0-9A-Z]{26}$/);
  assert.equal(tenant.status, 'ACTIVE');
  assert.equal(tenant.plan, 'PRO');
  assert.match(api_key.secret, /^pk_live_/);
  assert.equal(owner.email, 'ana@example.com');
  assert.equal(owner.password.length, 20);
  assert.ok(snippet.includes(api_key.secret) && snippet.includes('/widget.js'));
  const login = await srv.post('/v1/auth/login', { email: 'ANA@example.com', password: owner.password });
  assert.equal(login.status, 200);
  assert.equal(login.json.user.role, 'owner');
  assert.equal(login.json.tenant.id, tenant.id);
  const list = await srv.platform('GET', '/v1/platform/tenants?limit=1000');
  assert.ok(list.json.items.some((t) => t.id === tenant.id && t.plan === 'PRO'));
  const one = await srv.platform('GET', `/v1/platform/tenants/${tenant.id}`);
  assert.equal(one.json.limits.providers, 3);
  assert.deepEqual(one.json.limits.ai_modes, ['fsm', 'nlp']);
});

test('bad tenant input is 400 and creates nothing', async () => {
  const before = (await srv.platform('GET', '/v1/platform/tenants?limit=1000')).json.items.length;
  const bad = [
    {}, { name: '' }, { name: 'x'.repeat(121) }, { name: 'X', plan: 'GOLD' }, { name: 'X', locale: 'fr' },
    { name: 'X', timezone: 'Mars/Olympus' }, { name: 'X', origins: ['not a url'] }, { name: 'X', owner_email: 'nope' },
    { name: 'X', extra: 1 }, { name: 42 }, { name: 'X', id: 'has#hash' }, { name: 'X', parent_id: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' },
  ];
  for (const body of bad) {
    const r = await srv.platform('POST', '/v1/platform/tenants', body);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
    assert.equal(errorCode(r), 'invalid_request');
  }
  const after = (await srv.platform('GET', '/v1/platform/tenants?limit=1000')).json.items.length;
  assert.equal(after, before);
  const dup = await srv.platform('POST', '/v1/platform/tenants', { name: 'Dup', id: 'dup-tenant', empty: true });
  assert.equal(dup.status, 201);
  const dup2 = await srv.platform('POST', '/v1/platform/tenants', { name: 'Dup', id: 'dup-tenant', empty: true });
  assert.equal(dup2.status, 409);
});

test('plans are data: the operator edits one and tenants see the change', async () => {
  const plans = await srv.platform('GET', '/v1/platform/plans');
  assert.deepEqual(plans.json.items.map((p) => p.name).sort(), ['BUSINESS', 'ENTERPRISE', 'FREE', 'PRO']);
  const ent = plans.json.items.find((p) => p.name === 'ENTERPRISE');
  assert.equal(ent.messages_month, null);
  const put = await srv.platform('PUT', '/v1/platform/plans/STARTER', {
    messages_month: 1000, bookings_month: 100, providers: 2, ai_modes: ['fsm'], ai_tokens_month: 0, rate_per_s: 10, burst: 30, price_usd: 19,
  });
  assert.equal(put.status, 200, put.text);
  const t = await makeTenant(srv, { name: 'Starter', plan: 'STARTER' });
  const me = await t.admin('GET', '/v1/admin/me');
  assert.equal(me.json.limits.providers, 2);
  assert.equal((await srv.platform('PUT', '/v1/platform/plans/bad name', { providers: 1 })).status, 400);
  assert.equal((await srv.platform('PUT', '/v1/platform/plans/X', { ai_modes: ['magic'], messages_month: 1, bookings_month: 1, providers: 1, ai_tokens_month: 1, rate_per_s: 1, burst: 1 })).status, 400);
  const over = await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { providers: 7 } });
  assert.equal(over.json.limits.providers, 7);
  assert.equal(over.json.tenant.limits.providers, 7);
  const badPatch = await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { providers: -3 } });
  assert.equal(badPatch.status, 400);
  const badStatus = await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { status: 'DELETED', plan: 'PRO' });
  assert.equal(badStatus.status, 400);
  assert.equal((await srv.platform('GET', `/v1/platform/tenants/${t.id}`)).json.tenant.plan, 'STARTER', 'a refused patch changes nothing');
});

test('settings: defaults by locale, validated partial updates, nothing written on bad input', async () => {
  const t = await makeTenant(srv, { name: 'Studio', locale: 'en', timezone: 'America/New_York' });
  const s = await t.admin('GET', '/v1/admin/settings');
  assert.equal(s.json.settings.locale, 'en');
  assert.equal(s.json.settings.timezone, 'America/New_York');
  assert.match(s.json.settings.widget.greeting, /^Hi!/);
  assert.equal(s.json.settings.booking.slot_step_min, 15);
  const p = await t.admin('PATCH', '/v1/admin/settings', { widget: { color: '#FF0066', position: 'left' }, booking: { hold_minutes: 10 } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.settings.widget.color, '#FF0066');
  assert.equal(p.json.settings.widget.title, 'Studio', 'untouched fields stay');
  assert.equal(p.json.settings.booking.hold_minutes, 10);
  assert.equal(p.json.settings.booking.slot_step_min, 15);
  const before = await dumpTenant(srv, t.id);
  const bad = [
    { widget: { color: 'red' } }, { widget: { position: 'top' } }, { locale: 'de' }, { timezone: 'Nowhere/City' },
    { booking: { slot_step_min: 1 } }, { booking: { unknown: 1 } }, { widget: { logo_url: 'javascript:alert(1)' } },
    { widget: { title: 'a\u0000b' } }, { nonsense: true }, { widget: 'x' }, { booking: { max_days_ahead: 1e12 } },
  ];
  for (const body of bad) {
    const r = await t.admin('PATCH', '/v1/admin/settings', body);
    assert.equal(r.status, 400, JSON.stringify(body));
  }
  assert.deepEqual(await dumpTenant(srv, t.id), before);
  const cfg = await t.widget('GET', '/v1/widget/config');
  assert.equal(cfg.json.branding.color, '#FF0066');
  assert.equal(cfg.json.branding.position, 'left');
});

test('the AI mode is limited by the plan', async () => {
  const free = await makeTenant(srv, { name: 'Free', plan: 'FREE' });
  const r = await free.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp', provider: 'anthropic' });
  assert.equal(r.status, 409);
  assert.equal(errorCode(r), 'plan_limit_exceeded');
  assert.equal((await free.admin('GET', '/v1/admin/settings/ai')).json.ai.mode, 'fsm');
  const pro = await makeTenant(srv, { name: 'Pro', plan: 'PRO' });
  const ok = await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp', provider: 'anthropic', model: 'claude-haiku' });
  assert.equal(ok.status, 200);
  assert.equal((await pro.widget('GET', '/v1/widget/config')).json.ai_mode, 'nlp');
  assert.equal((await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'agent' })).status, 409);
  assert.equal((await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp', provider: 'skynet' })).status, 400);
});

// The booking chat (fsm mode) end to end, in Spanish and English: bookings by free text only, by quick
// replies only and mixed; change of mind, cancel, reschedule, hand-off, FAQ, the message limit, the
// conversation token, transcripts for staff, and the NLU try-out. The clock starts on Monday 2026-11-30
// at 09:00 in Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, ES, EN;

async function catalog(t, names) {
  const ids = {};
  const s1 = await t.admin('POST', '/v1/admin/services', { name: names.s1, duration_min: 30, price: 18, synonyms: names.syn1 });
  const s2 = await t.admin('POST', '/v1/admin/services', { name: names.s2, duration_min: 60, price: 45 });
  ids.s1 = s1.json.service.id;
  ids.s2 = s2.json.service.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  for (const n of names.pros) {
    const p = await t.admin('POST', '/v1/admin/providers', { name: n, service_ids: [ids.s1, ids.s2] });
    ids[n] = p.json.provider.id;
    await t.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly });
  }
  await t.admin('PATCH', '/v1/admin/settings', { business: { address: names.address } });
  await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  return ids;
}

// A conversation helper: say(text) or tap(payload); remembers the last answers.
async function open(t, locale) {
  const r = await t.widget('POST', '/v1/widget/conversations', { body: locale ? { locale } : {} });
  assert.equal(r.status, 201, r.text);
  const { id, token } = r.json.conversation;
  const conv = { id, token, last: r.json.messages, status: 201 };
  const send = async (body) => {
    const res = await t.widget('POST', `/v1/widget/conversations/${id}/messages`, { body, headers: { 'x-conversation-token': token } });
    conv.status = res.status;
    conv.res = res;
    conv.last = res.json?.messages || [];
    conv.state = res.json?.state;
    return conv;
  };
  conv.say = (text) => send({ text });
  conv.tap = (payload) => send({ action: payload });
  conv.text = () => conv.last.map((m) => m.text).join('\n');
  conv.replies = () => conv.last.flatMap((m) => m.quick_replies || []);
  conv.tapLabel = (label) => {
    const q = conv.replies().find((x) => x.label === label);
    if (!q) throw new Error(`no quick reply "${label}" in ${JSON.stringify(conv.replies().map((x) => x.label))}`);
    return conv.tap(q.payload);
  };
  conv.booking = () => conv.last.find((m) => m.booking)?.booking;
  return conv;
}

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  ES = await makeTenant(srv, { name: 'Peluquería Ana', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  ES.ids = await catalog(ES, { s1: 'Corte de pelo', syn1: ['corte', 'cortar el pelo'], s2: 'Tinte', pros: ['Ana', 'Luis'], address: 'Calle Mayor 1, Madrid' });
  EN = await makeTenant(srv, { name: 'Studio Nine', plan: 'BUSINESS', timezone: 'America/New_York', locale: 'en' });
  EN.ids = await catalog(EN, { s1: 'Haircut', syn1: ['cut', 'trim'], s2: 'Massage', pros: ['John', 'Mary'], address: '9 Main St, New York' });
});
after(async () => { await srv.stop(); });

test('es: a booking by free text only', async () => {
  const c = await open(ES);
  assert.match(c.text(), /Peluquería Ana/);
  assert.match(c.text(), /¿Qué servicio/);
  await c.say('hola, quiero un corte con Ana el jueves a las 5 de la tarde');
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Corte de pelo con Ana, jueves 3 de diciembre a las 17:00/);
  await c.say('Me llamo Marta Ruiz');
  assert.equal(c.state, 'contact');
  await c.say('mi email es marta@example.com');
  assert.equal(c.state, 'confirm');
  assert.match(c.text(), /A nombre de Marta Ruiz \(marta@example.com\)/);
  await c.say('sí, perfecto');
  assert.equal(c.state, 'booked', c.text());
  const b = c.booking();
  assert.match(b.code, /^[A-Z2-9]{6}$/);
  assert.equal(b.start, '2026-12-03T17:00:00+01:00');
  assert.match(b.ics_url, /\/v1\/manage\/booking\.ics\?token=/);
  const ics = await srv.get(new URL(b.ics_url).pathname + new URL(b.ics_url).search);
  assert.equal(ics.status, 200);
  const list = await ES.admin('GET', '/v1/admin/bookings?from=2026-12-03&to=2026-12-03');
  const mine = list.json.items.find((x) => x.code === b.code);
  assert.equal(mine.source, 'chat');
  assert.equal(mine.customer.email, 'marta@example.com');
});

test('es: a booking with quick replies only', async () => {
  const c = await open(ES);
  await c.tapLabel('Tinte');
  assert.equal(c.state, 'provider');
  await c.tapLabel('Me da igual');
  assert.equal(c.state, 'day');
  await c.tapLabel('mar 1 dic');
  assert.equal(c.state, 'time');
  assert.match(c.text(), /Horas libres el martes 1 de diciembre/);
  await c.tapLabel('10:00');
  assert.equal(c.state, 'name');
  // names and contacts are typed: there is no button for them
  await c.say('Pedro Gil');
  await c.say('612 345 678');
  assert.equal(c.state, 'confirm');
  await c.tapLabel('Sí, confirmar');
  assert.equal(c.state, 'booked');
  assert.equal(c.booking().start, '2026-12-01T10:00:00+01:00');
});

test('es: mixed, with changes of mind, going back and a taken time', async () => {
  // Luis is already booked on Wednesday 2 December at 10:00
  const taken = await ES.widget('POST', '/v1/widget/bookings', { body: { service_id: ES.ids.s2, provider_id: ES.ids.Luis, start: '2026-12-02T10:00:00+01:00', customer: { name: 'X', email: 'x@example.com' } } });
  assert.equal(taken.status, 201);
  const c = await open(ES);
  await c.say('quiero un tinte');
  await c.tapLabel('Ana');
  await c.say('el miércoles a las 10 y media');
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Tinte con Ana, miércoles 2 de diciembre a las 10:30/);
  await c.say('mejor con Luis');
  assert.equal(c.state, 'time', 'Luis is busy until 11:00: the free times are offered');
  await c.say('a las 12');
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Tinte con Luis, miércoles 2 de diciembre a las 12:00/);
  await c.tap('back');
  assert.equal(c.state, 'time');
  await c.say('a las 10');
  assert.equal(c.state, 'time');
  assert.match(c.text(), /A las 10:00 no hay hueco el miércoles 2 de diciembre/);
  await c.say('a las 11');
  assert.equal(c.state, 'name', c.text());
  await c.say('Lucía');
  await c.say('lucia@example.com');
  await c.tap('change');
  await c.tapLabel('Día');
  assert.equal(c.state, 'day');
  await c.say('el viernes por la mañana');
  assert.equal(c.state, 'time');
  assert.match(c.text(), /viernes 4 de diciembre por la mañana/);
  await c.say('11');
  assert.equal(c.state, 'confirm', c.text());
  await c.say('vale');
  assert.equal(c.state, 'booked');
  assert.equal(c.booking().start, '2026-12-04T11:00:00+01:00');
});

test('es: FAQ answers from the tenant\'s settings and services, then back to the question', async () => {
  const c = await open(ES);
  await c.say('¿a qué hora abrís?');
  assert.match(c.text(), /lunes – viernes: 09:00–13:00, 15:00–19:00/);
  assert.match(c.text(), /¿Qué servicio/);
  await c.say('cuánto cuesta un corte');
  assert.match(c.text(), /Corte de pelo \(30 min\): 18\.00 EUR/);
  await c.say('¿dónde estáis?');
  assert.match(c.text(), /Calle Mayor 1, Madrid/);
});

test('es: cancel an existing booking by code and contact', async () => {
  const book = await ES.widget('POST', '/v1/widget/bookings', { body: { service_id: ES.ids.s1, provider_id: ES.ids.Ana, start: '2026-12-09T09:00:00+01:00', customer: { name: 'Eva', phone: '+34 699 111 222' } } });
  const code = book.json.booking.code;
  const c = await open(ES);
  await c.say('quiero anular mi cita');
  assert.equal(c.state, 'code');
  await c.say(`el código es ${code}`);
  assert.equal(c.state, 'code_contact');
  await c.say('699 000 000');
  assert.equal(c.state, 'code', 'a wrong contact finds nothing');
  assert.match(c.text(), /No encuentro/);
  await c.say(code);
  await c.say('699111222');
  assert.equal(c.state, 'target_confirm');
  assert.match(c.text(), /¿Anulo tu cita de Corte de pelo, miércoles 9 de diciembre a las 09:00\?/);
  await c.say('sí');
  assert.match(c.text(), /anulada/);
  const b = await ES.admin('GET', `/v1/admin/bookings/${book.json.booking.id}`);
  assert.equal(b.json.booking.status, 'cancelled');
});

test('es: reschedule an existing booking', async () => {
  const book = await ES.widget('POST', '/v1/widget/bookings', { body: { service_id: ES.ids.s1, provider_id: ES.ids.Luis, start: '2026-12-10T09:00:00+01:00', customer: { name: 'Raúl', email: 'raul@example.com' } } });
  const { code, id } = book.json.booking;
  const c = await open(ES);
  await c.tapLabel('Cambiar una cita');
  await c.say(code.toLowerCase());
  await c.say('raul@example.com');
  assert.equal(c.state, 'day', c.text());
  await c.say('el jueves 10 a las 16:30');
  assert.equal(c.state, 'target_confirm', c.text());
  assert.match(c.text(), /a jueves 10 de diciembre a las 16:30/);
  await c.tapLabel('Sí');
  assert.match(c.text(), /Listo, tu cita es ahora jueves 10 de diciembre a las 16:30/);
  const b = await ES.admin('GET', `/v1/admin/bookings/${id}`);
  assert.equal(b.json.booking.start, '2026-12-10T16:30:00+01:00');
});

test('es: hand-off to a person, visible to staff until handled', async () => {
  const c = await open(ES);
  await c.say('prefiero hablar con una persona');
  assert.equal(c.state, 'handoff');
  await c.say('mi teléfono es 655 444 333');
  assert.match(c.text(), /te contactará/);
  const list = await ES.admin('GET', '/v1/admin/conversations?status=handoff');
  const conv = list.json.items.find((x) => x.id === c.id);
  assert.ok(conv, 'listed for staff');
  assert.equal(conv.handoff.phone, '655444333');
  assert.equal(conv.handoff.handled, false);
  const h = await ES.admin('PATCH', `/v1/admin/conversations/${c.id}`, { handled: true });
  assert.equal(h.status, 200);
  assert.equal(h.json.conversation.handoff.handled, true);
  // three misunderstandings in a row offer a person too
  const d = await open(ES);
  for (let i = 0; i < 3; i++) await d.say('xyzzy plugh');
  assert.ok(d.replies().some((q) => q.payload === 'human'), d.text());
});

test('en: a booking in English by free text, then cancel it', async () => {
  const c = await open(EN);
  assert.match(c.text(), /Which service/);
  await c.say('Hi! Can I book a haircut with Mary on Friday at 3pm?');
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Haircut with Mary, Friday, December 4 at 3:00 pm/);
  await c.say('My name is John Smith');
  await c.say('john@example.com');
  assert.equal(c.state, 'confirm');
  await c.say('yes please');
  assert.equal(c.state, 'booked', c.text());
  const b = c.booking();
  assert.equal(b.start, '2026-12-04T15:00:00-05:00');
  await c.say('actually I need to cancel my booking');
  await c.say(b.code);
  await c.say('john@example.com');
  assert.equal(c.state, 'target_confirm', c.text());
  await c.say('yes');
  assert.match(c.text(), /cancelled/);
});

test('en: quick replies only, and the widget can ask for Spanish', async () => {
  const c = await open(EN);
  await c.tapLabel('Massage');
  await c.tapLabel('No preference');
  assert.equal(c.state, 'day');
  await c.tap(c.replies()[1].payload);
  assert.equal(c.state, 'time');
  await c.tap(c.replies()[0].payload);
  assert.equal(c.state, 'name');
  await c.say('Ann Lee');
  await c.say('+1 212 555 0100');
  await c.tapLabel('Yes, confirm');
  assert.equal(c.state, 'booked');
  const es = await open(EN, 'es');
  assert.match(es.text(), /¿Qué servicio/);
});

// ---- dialogue memory (issue 20): what was said is kept until the customer changes it ----

test('es/en: a correction at the summary changes only what was changed', async () => {
  const c = await open(ES);
  await c.say('corte con Ana el martes 8 a las 10');
  await c.say('Sara Gil');
  await c.say('sara@example.com');
  assert.equal(c.state, 'confirm', c.text());
  await c.say('espera, prefiero con Luis');
  assert.equal(c.state, 'confirm', c.text());
  assert.match(c.text(), /Corte de pelo con Luis\nmartes 8 de diciembre a las 10:00\nA nombre de Sara Gil \(sara@example.com\)/);
  await c.say('¿podría ser a las 6?');
  assert.equal(c.state, 'confirm', c.text());
  assert.match(c.text(), /Corte de pelo con Luis\nmartes 8 de diciembre a las 18:00/);
  await c.say('¿y el miércoles?');
  assert.equal(c.state, 'confirm', c.text());
  assert.match(c.text(), /Corte de pelo con Luis\nmiércoles 2 de diciembre a las 18:00/);

  const e = await open(EN);
  await e.say('a haircut with John on Tuesday at 10am');
  await e.say('Sam Lee');
  await e.say('sam@example.com');
  assert.equal(e.state, 'confirm', e.text());
  await e.say('actually, with Mary please');
  assert.equal(e.state, 'confirm', e.text());
  assert.match(e.text(), /Mary/);
  assert.match(e.text(), /Tuesday, December 1 at 10:00 am/);
  await e.say('actually, could it be at 6 instead?');
  assert.equal(e.state, 'confirm', e.text());
  assert.match(e.text(), /Mary/);
  assert.match(e.text(), /Tuesday, December 1 at 6:00 pm/);
  await e.say('what about Wednesday?');
  assert.equal(e.state, 'confirm', e.text());
  assert.match(e.text(), /Wednesday, December 2 at 6:00 pm/);
  assert.match(e.text(), /Sam Lee/);
});

test('es/en: a reschedule request with the new day and time goes straight to confirming it', async () => {
  const cases = [
    [ES, 'corte con Ana el jueves a las 9:30', 'Nora Díaz', 'nora@example.com', (code) => `necesito pasar mi reserva ${code} al lunes a las 9`,
      /a lunes 7 de diciembre a las 09:00/, 'sí', /ahora lunes 7 de diciembre a las 09:00/],
    [EN, 'a haircut with Mary on Thursday at 9:30am', 'Nora Day', 'nora@example.com', (code) => `please shift booking ${code} to Monday 9am`,
      /to Monday, December 7 at 9:00 am/, 'yes', /Monday, December 7 at 9:00 am/],
  ];
  for (const [t, first, name, email, request, asked, yes, done] of cases) {
    const b = await open(t);
    await b.say(first);
    await b.say(name);
    await b.say(email);
    await b.say(yes);
    assert.equal(b.state, 'booked', b.text());
    const code = b.booking().code;
    const c = await open(t);
    await c.say(request(code));
    assert.equal(c.state, 'code_contact', c.text());
    await c.say(email);
    assert.equal(c.state, 'target_confirm', c.text());
    assert.match(c.text(), asked);
    await c.say(yes);
    assert.match(c.text(), done);
  }
});

test('es/en: a question in the middle of a booking is answered and the booking goes on where it was', async () => {
  const c = await open(ES);
  await c.say('corte con Luis el martes 8');
  assert.equal(c.state, 'time', c.text());
  await c.say('¿cuánto cuesta?');
  assert.match(c.text(), /Corte de pelo \(30 min\): 18\.00 EUR/);
  assert.equal(c.state, 'time');
  assert.match(c.text(), /Horas libres el martes 8 de diciembre/);
  await c.say('¿qué horario tenéis el sábado?');
  assert.match(c.text(), /lunes – viernes: 09:00–13:00, 15:00–19:00/);
  assert.equal(c.state, 'time', 'a day named in a question does not move the booking');
  assert.match(c.text(), /Horas libres el martes 8 de diciembre/);

  const e = await open(EN);
  await e.say('a haircut with John on Tuesday');
  assert.equal(e.state, 'time', e.text());
  await e.say('what are your opening hours?');
  assert.equal(e.state, 'time');
  assert.match(e.text(), /Free times on Tuesday, December 1/);
  await e.say('where are you?');
  assert.match(e.text(), /9 Main St, New York/);
  assert.match(e.text(), /Free times on Tuesday, December 1/);
});

test('es/en: several facts in one message are all taken', async () => {
  const c = await open(ES);
  await c.say('corte con Ana');
  assert.equal(c.state, 'day', c.text());
  await c.say('me llamo Pablo Gil y mi correo es pablo@example.com, mejor por la tarde');
  assert.equal(c.state, 'day', c.text());
  await c.say('el martes 8');
  assert.match(c.text(), /por la tarde/);
  await c.tap(c.replies()[0].payload);
  assert.equal(c.state, 'confirm', 'the name and the e-mail were taken already');
  assert.match(c.text(), /martes 8 de diciembre a las 1[2-8]:\d\d\nA nombre de Pablo Gil \(pablo@example.com\)/);

  const e = await open(EN);
  await e.say('a haircut with John');
  await e.say("I'm Paul Smith, paul@example.com, afternoons are best");
  assert.equal(e.state, 'day', e.text());
  await e.say('on Tuesday');
  assert.match(e.text(), /in the afternoon/);
  await e.tap(e.replies()[0].payload);
  assert.equal(e.state, 'confirm', e.text());
  assert.match(e.text(), /Paul Smith \(paul@example.com\)/);
});

test('the conversation token binds a conversation to its tenant and key', async () => {
  const c = await open(ES);
  const bad = [
    {}, { 'x-conversation-token': 'ct_' + '0'.repeat(40) }, { 'x-conversation-token': c.token + 'x' },
  ];
  for (const headers of bad) {
    const r = await ES.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body: { text: 'hola' }, headers });
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'not_found');
  }
  const other = await open(ES);
  const swapped = await ES.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body: { text: 'hola' }, headers: { 'x-conversation-token': other.token } });
  assert.equal(swapped.status, 404);
  // another tenant's key with the right token: 404 too
  const cross = await EN.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body: { text: 'hola' }, headers: { 'x-conversation-token': c.token } });
  assert.equal(cross.status, 404);
  // the transcript comes back for a page reload
  const t = await ES.widget('GET', `/v1/widget/conversations/${c.id}`, { headers: { 'x-conversation-token': c.token } });
  assert.equal(t.status, 200);
  assert.ok(t.json.messages.length >= 2);
  for (const body of [{}, { text: '' }, { text: 'a', action: 'b' }, { text: 'x'.repeat(2001) }, { text: 5 }, { action: 'svc:../../etc' }]) {
    const r = await ES.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body, headers: { 'x-conversation-token': c.token } });
    assert.ok(r.status === 400 || (r.status === 200 && /no te he entendido/.test(r.text)), `${JSON.stringify(body)} → ${r.status}`);
  }
});

test('staff read every message of a transcript', async () => {
  const c = await open(ES);
  await c.say('hola');
  await c.tapLabel('Tinte');
  const r = await ES.admin('GET', `/v1/admin/conversations/${c.id}`);
  assert.equal(r.status, 200);
  const roles = r.json.messages.map((m) => m.role);
  assert.deepEqual(roles.slice(0, 3), ['assistant', 'assistant', 'user']);
  assert.ok(r.json.messages.some((m) => m.role === 'user' && m.action && m.action.startsWith('svc:')));
  assert.equal(r.json.conversation.user_messages, 2);
  assert.equal((await EN.admin('GET', `/v1/admin/conversations/${c.id}`)).status, 404, 'another tenant: 404');
});

test('the NLU try-out answers in the tenant\'s context', async () => {
  const r = await ES.admin('POST', '/v1/admin/nlu/parse', { text: 'quiero un corte con Ana el próximo lunes por la tarde', lang: 'es', ref: '2026-11-25T10:00' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.intent, 'book');
  assert.equal(r.json.service_id, ES.ids.s1);
  assert.equal(r.json.provider_id, ES.ids.Ana);
  assert.equal(r.json.date, '2026-11-30');
  assert.equal(r.json.part_of_day, 'afternoon');
  const e = await EN.admin('POST', '/v1/admin/nlu/parse', { text: 'this friday 3pm, email me at x@y.com', ref: '2026-11-25T10:00' });
  assert.equal(e.json.date, '2026-11-27');
  assert.equal(e.json.time, '15:00');
  assert.equal(e.json.email, 'x@y.com');
  assert.equal((await ES.admin('POST', '/v1/admin/nlu/parse', { text: 'x', ref: 'yesterday' })).status, 400);
  assert.equal((await ES.admin('POST', '/v1/admin/nlu/parse', {})).status, 400);
});

test('the plan\'s monthly messages: the 6th of 5 is 429 with a polite message, another tenant is unaffected', async () => {
  const L = await makeTenant(srv, { name: 'Tiny', plan: 'FREE', timezone: 'Europe/Madrid' });
  await catalog(L, { s1: 'Corte', s2: 'Tinte', pros: ['Ana'], address: 'x' });
  await srv.platform('PATCH', `/v1/platform/tenants/${L.id}`, { limits: { messages_month: 5 } });
  const c = await open(L);
  for (let i = 0; i < 5; i++) {
    await c.say('hola');
    assert.equal(c.status, 200);
  }
  await c.say('hola');
  assert.equal(c.status, 429);
  assert.equal(errorCode(c.res), 'plan_limit_exceeded');
  assert.match(c.res.json.messages[0].text, /no podemos atender más mensajes/);
  const o = await open(ES);
  await o.say('hola');
  assert.equal(o.status, 200);
  await srv.platform('PATCH', `/v1/platform/tenants/${L.id}`, { limits: { messages_month: 10 } });
  await c.say('hola');
  assert.equal(c.status, 200, 'raising the limit applies at once');
});

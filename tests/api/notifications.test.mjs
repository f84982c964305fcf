// Notifications (docs/notifications.md): e-mails through a real SMTP server (npm smtp-server, read back with
// mailparser), webhooks verified with the reference Standard Webhooks library, reminders on the test clock,
// retries, the settings' bad input, a SIGKILL after the answer, and three processes sending each e-mail once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { Webhook } from 'standardwebhooks';
import { startServer, makeTenant, makeUser, errorCode, tempDir, cli, waitFor } from './harness.mjs';
import { startMailCatcher, makeSelfSignedCert } from './lib/mailcatcher.mjs';

const customer = { name: 'Lucía Fernández', email: 'lucia@example.com', phone: '+34 600 222 333' };

// A real SMTP server on loopback: every message parsed; failNext(n, to) answers the next n messages (to that
// recipient) with a 451.
async function mailCatcher() {
  const c = { mails: [], fail: 0, rcpts: [] };
  c.server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (d) => chunks.push(d));
      stream.on('end', async () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (c.fail > 0 && (!c.failTo || to.includes(c.failTo))) {
          c.fail--;
          const e = new Error('try again later');
          e.responseCode = 451;
          return cb(e);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail = await simpleParser(raw);
        mail.raw = raw;
        mail.envelope = { from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address) };
        c.mails.push(mail);
        cb();
      });
    },
  });
  await new Promise((r) => c.server.listen(0, '127.0.0.1', r));
  c.url = `smtp://127.0.0.1:${c.server.server.address().port}`;
  c.failNext = (n, to) => { c.fail = n; c.failTo = to; };
  c.stop = () => new Promise((r) => c.server.close(r));
  return c;
}

// A webhook endpoint on loopback answering with the given statuses in turn (then 200), recording each call.
async function hookReceiver(statuses = []) {
  const h = { calls: [], statuses: [...statuses] };
  h.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      h.calls.push({ headers: req.headers, body });
      res.statusCode = h.statuses.length ? h.statuses.shift() : 200;
      res.end('ok');
    });
  });
  await new Promise((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${h.server.address().port}/hook`;
  h.stop = () => new Promise((r) => h.server.close(r));
  return h;
}

// The calendar invitation of a message: its text/calendar part (decoded), or null.
function icsOf(mail) {
  const a = mail.attachments.find((x) => /text\/calendar|application\/ics/.test(x.contentType));
  return a ? a.content.toString('utf8').replace(/\r\n[ \t]/g, '') : null;
}


// A store of the test's own. LMDB: a data directory per server already is. DynamoDB (the dynalite run): a
// table of its own, since every server on one table shares its notification queue, and the servers here
// each send to their own SMTP server (a dispatcher of another test would send this test's mail).
async function ownStore() {
  const base = process.env.BOOKCHAT_STORE;
  if (!base || !base.startsWith('dynamodb:')) return {};
  const store = base.replace(/^dynamodb:\/\/[^?]+/, `dynamodb://bc-notify-${Math.random().toString(36).slice(2, 10)}`);
  const r = await cli(['store', 'init', '--store', store]);
  assert.equal(r.code, 0, r.stderr);
  return { store };
}

function serverEnv(smtp, extra = {}) {
  return { BOOKCHAT_SMTP_URL: smtp.url, BOOKCHAT_MAIL_FROM: 'reservas@bookchat.test', BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true',
    BOOKCHAT_OUTBOX_RETRY_BASE: '1', BOOKCHAT_DISPATCHER: 'on', ...extra };
}

// A free slot of the tenant's first service at least `days` days ahead (n-th of them).
async function slotOf(t, days = 1, n = 0) {
  const svc = (await t.widget('GET', '/v1/widget/services')).json.items[0];
  const from = new Date(Date.now() + days * 86400e3).toISOString().slice(0, 10);
  const to = new Date(Date.now() + (days + 10) * 86400e3).toISOString().slice(0, 10);
  const av = await t.widget('GET', `/v1/widget/availability?service_id=${svc.id}&provider_id=any&from=${from}&to=${to}`);
  assert.equal(av.status, 200, av.text);
  const slots = av.json.slots.filter((s) => Date.parse(s.start) > Date.now() + days * 86400e3);
  return { svc, slot: slots[n * 3] };
}

async function book(t, days = 1, n = 0, who = customer) {
  const { svc, slot } = await slotOf(t, days, n);
  const r = await t.widget('POST', '/v1/widget/bookings', { body: { service_id: svc.id, provider_id: slot.provider_id, start: slot.start, customer: who } });
  assert.equal(r.status, 201, r.text);
  return r.json.booking;
}

let smtp, srv, T;
before(async () => {
  smtp = await mailCatcher();
  srv = await startServer({ ...(await ownStore()), env: serverEnv(smtp) });
  T = await makeTenant(srv, { name: 'Clínica Peñalara', locale: 'es', timezone: 'Europe/Madrid', empty: false });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const s = await T.admin('PATCH', '/v1/admin/settings', { business: { email: 'hola@penalara.example' } });
  assert.equal(s.status, 200, s.text);
});
after(async () => {
  await srv?.stop();
  await smtp?.stop();
});

test('settings: defaults, a valid change, and bad input refused with nothing stored', async () => {
  const g = await T.admin('GET', '/v1/admin/settings/notifications');
  assert.equal(g.status, 200, g.text);
  assert.equal(g.json.email_enabled, true);
  assert.deepEqual(g.json.notifications.reminders, [{ before_min: 1440 }]);
  assert.equal(g.json.notifications.customer_emails, true);
  const ok = await T.admin('PUT', '/v1/admin/settings/notifications', { notifications: { staff_emails: ['recepcion@penalara.example'], reminders: [{ before_min: 1440 }, { before_min: 120 }] } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json.notifications.staff_emails, ['recepcion@penalara.example']);
  const bad = [
    { staff_emails: ['not-an-address'] },
    { staff_emails: ['a@b.example\r\nBcc: victim@example.com'] },
    { staff_emails: Array.from({ length: 11 }, (_, i) => `s${i}@x.example`) },
    { staff_emails: ['a@x.example', 'A@x.example'] },
    { reminders: [{ before_min: 1 }] },
    { reminders: [{ before_min: 60 }, { before_min: 60 }] },
    { reminders: [{ before_min: 60 }, { before_min: 120 }, { before_min: 180 }, { before_min: 240 }] },
    { reminders: [{ before_min: '60' }] },
    { customer_emails: 'yes' },
    { unknown: true },
    { templates: { 'booking.created': { es: { subject: 'Hola {{nope}}', text: 'x' } } } },
    { templates: { 'booking.created': { es: { subject: 'a\r\nBcc: x@y.z', text: 'x' } } } },
    { templates: { 'booking.created': { es: { subject: 'ok', text: 'x'.repeat(9000) } } } },
    { templates: { 'no.such.event': { es: { subject: 'ok', text: 'ok' } } } },
    { templates: 'x' },
  ];
  for (const n of bad) {
    const r = await T.admin('PUT', '/v1/admin/settings/notifications', { notifications: n });
    assert.equal(r.status, 400, `${JSON.stringify(n)}: ${r.text}`);
    assert.equal(errorCode(r), 'invalid_request');
  }
  assert.equal((await T.admin('PUT', '/v1/admin/settings/notifications', { nope: 1 })).status, 400);
  const raw = await srv.req('PUT', '/v1/admin/settings/notifications', { raw: '{"notifications":', headers: { authorization: `Bearer ${T.token}`, 'content-type': 'application/json' } });
  assert.equal(raw.status, 400);
  const after = await T.admin('GET', '/v1/admin/settings/notifications');
  assert.deepEqual(after.json.notifications, ok.json.notifications);
  // viewers do not see or change them
  const v = await makeUser(srv, T, 'viewer');
  assert.equal((await v.admin('GET', '/v1/admin/settings/notifications')).status, 403);
  assert.equal((await v.admin('PUT', '/v1/admin/settings/notifications', { notifications: {} })).status, 403);
});

test('a booking sends the customer a confirmation with its invitation, and tells the staff', async () => {
  const b = await book(T, 3);
  const mine = () => smtp.mails.filter((m) => m.text?.includes(b.code));
  const conf = await waitFor('the confirmation', () => mine().find((m) => m.envelope.to.includes(customer.email)));
  assert.equal(conf.envelope.from, 'reservas@bookchat.test');
  assert.equal(conf.from.value[0].name, 'Clínica Peñalara');
  assert.equal(conf.from.value[0].address, 'reservas@bookchat.test');
  assert.equal(conf.replyTo.value[0].address, 'hola@penalara.example');
  assert.equal(conf.headers.get('auto-submitted'), 'auto-generated');
  assert.ok(conf.messageId && conf.date);
  assert.match(conf.subject, /\S/);
  assert.match(conf.html, new RegExp(b.code));
  // the manage page link, with the booking's own token
  const link = conf.text.match(/https?:\/\/\S+\/manage\/\?code=\S+/);
  assert.ok(link, conf.text);
  assert.match(link[0], new RegExp(`code=${b.code}&token=`));
  const token = new URL(link[0]).searchParams.get('token');
  const file = await srv.get(`/v1/manage/booking.ics?token=${encodeURIComponent(token)}`);
  assert.equal(file.status, 200, 'the link token is the booking\'s manage token');
  // the calendar invitation: METHOD:REQUEST, the booking's UID and time, the customer as attendee
  assert.match(conf.raw, /text\/calendar;[^\r\n]*method=REQUEST/i);
  const ics = icsOf(conf);
  assert.ok(ics, 'an invitation');
  assert.match(ics, /METHOD:REQUEST/);
  assert.match(ics, new RegExp(`UID:${b.id}@bookchat`));
  const utc = new Date(b.start).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  assert.match(ics, new RegExp(`DTSTART:${utc}`));
  assert.match(ics, /ATTENDEE;[^\r\n]*mailto:lucia@example.com/);
  // staff: the address of the settings
  await waitFor('the staff e-mail', () => mine().find((m) => m.envelope.to.includes('recepcion@penalara.example')));
  // the log says so once the sends are recorded (a moment after the SMTP server has the message)
  await waitFor('two delivered e-mails in the log', async () => {
    const d = await T.admin('GET', '/v1/admin/deliveries?kind=email');
    assert.equal(d.status, 200, d.text);
    return d.json.items.filter((x) => x.status === 'delivered').length >= 2;
  });
  // counted in usage and /metrics
  const m = await srv.platform('GET', '/metrics');
  assert.match(m.text, /bookchat_deliveries_total\{kind="email",outcome="delivered"\} [1-9]/);
});

test('cancel: a CANCEL with the same UID and a higher SEQUENCE; reschedule: the new time', async () => {
  const b = await book(T, 4);
  await waitFor('the confirmation', () => smtp.mails.find((m) => m.text?.includes(b.code) && m.envelope.to.includes(customer.email)));
  const { slot } = await slotOf(T, 6, 1);
  const r = await T.widget('POST', `/v1/widget/bookings/${b.code}/reschedule`, { body: { manage_token: b.manage_token, start: slot.start } });
  assert.equal(r.status, 200, r.text);
  const moved = await waitFor('the change', () => smtp.mails.filter((m) => m.text?.includes(b.code) && m.envelope.to.includes(customer.email))[1]);
  assert.match(icsOf(moved), /METHOD:REQUEST/);
  const utc = new Date(slot.start).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  assert.match(icsOf(moved), new RegExp(`DTSTART:${utc}`), 'the new time');
  const c = await T.widget('POST', `/v1/widget/bookings/${b.code}/cancel`, { body: { email: customer.email } });
  assert.equal(c.status, 200, c.text);
  const cancel = await waitFor('the cancellation', () => smtp.mails.filter((m) => m.text?.includes(b.code) && m.envelope.to.includes(customer.email))[2]);
  const seq = (m) => Number((icsOf(m).match(/SEQUENCE:(\d+)/) || [])[1] || 0);
  assert.match(icsOf(cancel), /METHOD:CANCEL/);
  assert.match(icsOf(cancel), new RegExp(`UID:${b.id}@bookchat`));
  assert.ok(seq(cancel) > seq(moved), `SEQUENCE ${seq(cancel)} after ${seq(moved)}`);
});

test('webhooks: signed per Standard Webhooks, verified by the reference library; retried with the same id', async () => {
  const h = await hookReceiver([500, 503]);
  try {
    const c = await T.admin('POST', '/v1/admin/webhooks', { url: h.url, events: ['booking.created', 'booking.cancelled'] });
    assert.equal(c.status, 201, c.text);
    const wh = new Webhook(c.json.webhook.secret);
    const b = await book(T, 5);
    await waitFor('three attempts', () => h.calls.length >= 3);
    const ids = new Set(h.calls.map((x) => x.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one webhook-id on every attempt');
    const last = h.calls[2];
    const payload = wh.verify(last.body, last.headers);
    assert.equal(payload.type, 'booking.created');
    assert.equal(payload.data.booking.code, b.code);
    assert.equal(payload.data.booking.status, 'confirmed');
    assert.equal(payload.data.booking.manage_token, undefined, 'no customer secret in webhooks');
    // a forged signature does not verify
    assert.throws(() => wh.verify(last.body.replace(b.code, 'XXXXXX'), last.headers));
    const d = await waitFor('the delivery log', async () => {
      const r = await T.admin('GET', `/v1/admin/webhooks/${c.json.webhook.id}/deliveries`);
      return r.json.items.find((x) => x.status === 'delivered') && r;
    });
    const del = d.json.items.find((x) => x.status === 'delivered');
    assert.equal(del.attempts, 3);
    assert.equal(del.last_status, 200);
    // a test send
    const t = await T.admin('POST', `/v1/admin/webhooks/${c.json.webhook.id}/test`);
    assert.equal(t.status, 202, t.text);
    await waitFor('the test call', () => h.calls.find((x) => JSON.parse(x.body).type === 'webhook.test'));
    // another tenant sees none of it
    const U = await makeTenant(srv, { name: 'Otra' });
    assert.equal((await U.admin('GET', `/v1/admin/webhooks/${c.json.webhook.id}/deliveries`)).status, 404);
    assert.equal((await U.admin('POST', `/v1/admin/webhooks/${c.json.webhook.id}/test`)).status, 404);
    assert.equal((await U.admin('POST', `/v1/admin/deliveries/${del.id}/retry`)).status, 404);
    assert.equal((await T.admin('DELETE', `/v1/admin/webhooks/${c.json.webhook.id}`)).status, 204);
  } finally {
    await h.stop();
  }
});

test('SMTP refusing for a while: the e-mail is retried until it is accepted', async () => {
  smtp.failNext(2, 'retry@example.com');
  const b = await book(T, 7, 0, { ...customer, email: 'retry@example.com' });
  const got = await waitFor('the confirmation after retries', () => smtp.mails.find((m) => m.envelope.to.includes('retry@example.com') && m.text?.includes(b.code)), 30000);
  assert.ok(got);
  const d = await T.admin('GET', '/v1/admin/deliveries?kind=email&status=delivered');
  assert.ok(d.json.items.some((x) => x.to === 'retry@example.com' && x.attempts >= 2), JSON.stringify(d.json.items));
});

test('a hand-off request tells the staff', async () => {
  const o = await T.widget('POST', '/v1/widget/conversations', { body: { locale: 'es' } });
  assert.equal(o.status, 201, o.text);
  const conv = o.json.conversation;
  const say = (text) => T.widget('POST', `/v1/widget/conversations/${conv.id}/messages`, { body: { text }, headers: { 'x-conversation-token': conv.token } });
  await say('prefiero hablar con una persona');
  await say('mi teléfono es 655 444 333');
  const m = await waitFor('the hand-off e-mail', () => smtp.mails.find((x) => x.envelope.to.includes('recepcion@penalara.example') && x.text?.includes('655444333')));
  assert.match(m.text, new RegExp(conv.id));
});

test('reminders: sent on the clock; none when already past at booking time; none after a cancellation', async () => {
  const mail2 = await mailCatcher();
  const s2 = await startServer({ ...(await ownStore()), env: serverEnv(mail2) });
  try {
    const U = await makeTenant(s2, { name: 'Estudio Norte', locale: 'en', timezone: 'Europe/Madrid', empty: false });
    // a day before, and two weeks before: for a booking three days ahead, the second is already past
    const set = await U.admin('PUT', '/v1/admin/settings/notifications', { notifications: { reminders: [{ before_min: 1440 }, { before_min: 20160 }] } });
    assert.equal(set.status, 200, set.text);
    const b1 = await book(U, 3, 0, { ...customer, email: 'r1@example.com' });
    const b2 = await book(U, 3, 1, { ...customer, email: 'r2@example.com' });
    const to = (a) => mail2.mails.filter((m) => m.envelope.to.includes(a));
    await waitFor('confirmations', () => to('r1@example.com').length >= 1 && to('r2@example.com').length >= 1);
    assert.equal((await U.widget('POST', `/v1/widget/bookings/${b2.code}/cancel`, { body: { email: 'r2@example.com' } })).status, 200);
    await waitFor('the cancellation', () => to('r2@example.com').length >= 2);
    const n0 = mail2.mails.length;
    // two days later: b1 is a day away minus a little, its 24 h reminder due
    const start = Date.parse(b1.start);
    const adv = Math.ceil((start - Date.now()) / 1000) - 86400 + 120;
    assert.equal((await s2.post('/v1/test/clock', { advance_s: adv })).status, 200);
    const rem = await waitFor('the reminder', () => mail2.mails.slice(n0).find((m) => m.envelope.to.includes('r1@example.com')));
    assert.match(rem.text, new RegExp(b1.code));
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(mail2.mails.slice(n0).filter((m) => m.envelope.to.includes('r2@example.com')).length, 0, 'no reminder for a cancelled booking');
    assert.equal(mail2.mails.slice(n0).filter((m) => m.envelope.to.includes('r1@example.com')).length, 1, 'one reminder: the one of two weeks before was past when the booking was made');
  } finally {
    await s2.stop();
    await mail2.stop();
  }
});

test('SIGKILL right after the answer: the next process sends the confirmation', async () => {
  const mail3 = await mailCatcher();
  const dir = tempDir('bc-kill');
  // the first process cannot reach its SMTP server; it is killed right after answering the booking
  const own = await ownStore();
  const s1 = await startServer({ ...own, dataDir: dir, env: serverEnv({ url: 'smtp://127.0.0.1:9' }) });
  const U = await makeTenant(s1, { name: 'Clínica Kill', empty: false });
  const b = await book(U, 3, 0, { ...customer, email: 'kill@example.com' });
  await s1.kill();
  const s2 = await startServer({ ...own, dataDir: dir, env: serverEnv(mail3) });
  try {
    const m = await waitFor('the confirmation from the next process', () => mail3.mails.find((x) => x.envelope.to.includes('kill@example.com')), 90000);
    assert.match(m.text, new RegExp(b.code));
  } finally {
    await s2.stop();
    await mail3.stop();
  }
});

test('three processes on one store send each confirmation once', async () => {
  const mail4 = await mailCatcher();
  const dir = tempDir('bc-three');
  // one LMDB data directory, or in the dynalite run one DynamoDB table
  const own = await ownStore();
  const opts = () => ({ ...own, dataDir: dir, keepData: true, env: serverEnv(mail4) });
  const procs = [await startServer(opts()), await startServer(opts()), await startServer(opts())];
  try {
    const U = await makeTenant(procs[0], { name: 'Tres', empty: false });
    await procs[0].platform('PATCH', `/v1/platform/tenants/${U.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
    const codes = [];
    for (let i = 0; i < 9; i++) {
      const p = procs[i % 3];
      const w = (method, path, o = {}) => p.req(method, path, { ...o, headers: { 'x-api-key': U.key, origin: U.origin } });
      const b = await book({ widget: w }, 2, i, { ...customer, email: `three${i}@example.com` });
      codes.push(b.code);
    }
    const ours = () => mail4.mails.filter((m) => codes.some((c) => m.text?.includes(c)));
    await waitFor('nine confirmations', () => ours().length >= 9, 30000);
    await new Promise((r) => setTimeout(r, 3000)); // time for a duplicate to show up
    for (const code of codes) assert.equal(mail4.mails.filter((m) => m.text?.includes(code)).length, 1, code);
  } finally {
    for (const p of procs) await p.stop();
    await mail4.stop();
  }
});

test('SMTP AUTH over STARTTLS with the server\'s certificate verified; without TLS no password is sent', async () => {
  const cert = makeSelfSignedCert(tempDir('bc-cert'));
  const tls = await startMailCatcher({ user: 'bookchat', password: 'smtp-pass-123', tls: { key: cert.key, cert: cert.cert } });
  const plain = await startMailCatcher({ user: 'bookchat', password: 'smtp-pass-123' });
  const auth = { BOOKCHAT_SMTP_USER: 'bookchat', BOOKCHAT_SMTP_PASSWORD: 'smtp-pass-123', BOOKCHAT_SMTP_CA_FILE: cert.certPath };
  const s1 = await startServer({ ...(await ownStore()), env: serverEnv(tls, auth) });
  const s2 = await startServer({ ...(await ownStore()), env: serverEnv(plain, auth) });
  try {
    const U = await makeTenant(s1, { name: 'Clínica TLS', empty: false });
    const b = await book(U, 3, 0, { ...customer, email: 'tls@example.com' });
    const m = await tls.waitFor((x) => x.envelope.rcptTo.includes('tls@example.com'), 15000);
    assert.equal(m.secure, true, 'STARTTLS before the message');
    assert.equal(m.user, 'bookchat', 'signed in');
    assert.match(m.mail.text, new RegExp(b.code));
    assert.ok(tls.auths.every((a) => a.ok));
    // the same credentials towards a server without STARTTLS: refused by bookchat before AUTH
    const V = await makeTenant(s2, { name: 'Clínica Sin TLS', empty: false });
    await book(V, 3, 0, { ...customer, email: 'plain@example.com' });
    const d = await waitFor('a failed attempt', async () => {
      const r = await V.admin('GET', '/v1/admin/deliveries?kind=email');
      return r.json.items.find((x) => x.to === 'plain@example.com' && x.attempts >= 1 && x.last_error) && r;
    });
    assert.ok(d);
    assert.equal(plain.messages.length, 0);
    assert.equal(plain.auths.length, 0, 'no password over a plain connection');
  } finally {
    await s1.stop();
    await s2.stop();
    await tls.stop();
    await plain.stop();
  }
});

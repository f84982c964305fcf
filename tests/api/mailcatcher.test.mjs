// The mail catcher of the API tests (tests/api/lib/mailcatcher.mjs), driven by a raw SMTP dialogue over
// node's own sockets (no SMTP client library): messages are accepted and parsed, the envelope, AUTH, the
// failNext switch, STARTTLS and implicit TLS, the size limit and waitFor behave as the notification tests
// rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startMailCatcher, makeSelfSignedCert } from './lib/mailcatcher.mjs';
import { tempDir } from './harness.mjs';

// ---- a raw SMTP client ------------------------------------------------------------------------------------

class RawSmtp {
  static connect(port, { implicitTls = false } = {}) {
    return new Promise((resolve, reject) => {
      const c = new RawSmtp();
      const s = implicitTls
        ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(c))
        : net.connect({ port, host: '127.0.0.1' }, () => resolve(c));
      s.once('error', reject);
      c._attach(s);
    });
  }

  _attach(socket) {
    this.socket = socket;
    this.buf = '';
    this.cur = [];
    this.replies = this.replies || [];
    this.waiters = this.waiters || [];
    socket.setEncoding('utf8');
    socket.on('data', (d) => this._onData(d));
    socket.on('close', () => {
      this.closed = true;
      this._flush();
    });
  }

  _onData(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.cur.push(line);
      if (/^\d{3}( |$)/.test(line)) {
        this.replies.push({ code: Number(line.slice(0, 3)), text: this.cur.join('\n') });
        this.cur = [];
      }
    }
    this._flush();
  }

  _flush() {
    while (this.replies.length && this.waiters.length) this.waiters.shift().resolve(this.replies.shift());
    if (this.closed) while (this.waiters.length) this.waiters.shift().reject(new Error('connection closed'));
  }

  reply() {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this._flush();
    });
  }

  cmd(line) {
    this.socket.write(line + '\r\n');
    return this.reply();
  }

  // STARTTLS, then the TLS handshake on the same socket (the server's certificate is self-signed).
  async starttls() {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) return r;
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = await new Promise((resolve, reject) => {
      const s = tls.connect({ socket: raw, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    this._attach(secure);
    return r;
  }

  // DATA with the message's lines dot-stuffed (RFC 5321 4.5.2), as libcurl does.
  async data(message) {
    const r = await this.cmd('DATA');
    if (r.code !== 354) return r;
    const body = message.replace(/\r?\n/g, '\r\n').replace(/(^|\r\n)\./g, '$1..');
    this.socket.write(body + (body.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    return this.reply();
  }

  async quit() {
    if (!this.closed) await this.cmd('QUIT').catch(() => {});
    this.socket.destroy();
  }
}

// One whole transaction; returns the reply of the first step that failed, or of DATA.
async function send(port, { from = 'noreply@mail.example', to = ['ana@example.com'], message = SAMPLE,
  auth, starttls = false, implicitTls = false } = {}) {
  const c = await RawSmtp.connect(port, { implicitTls });
  try {
    const greeting = await c.reply();
    assert.equal(greeting.code, 220);
    let r = await c.cmd('EHLO client.test');
    assert.equal(r.code, 250);
    if (starttls) {
      r = await c.starttls();
      if (r.code !== 220) return { stage: 'starttls', ...r };
      r = await c.cmd('EHLO client.test');
      assert.equal(r.code, 250);
    }
    if (auth) {
      r = await login(c, auth);
      if (r.code !== 235) return { stage: 'auth', ...r };
    }
    r = await c.cmd(`MAIL FROM:<${from}>`);
    if (r.code !== 250) return { stage: 'mail', ...r };
    for (const rcpt of to) {
      r = await c.cmd(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return { stage: 'rcpt', ...r };
    }
    r = await c.data(message);
    return { stage: 'data', ...r };
  } finally {
    await c.quit();
  }
}

async function login(c, { user, password, method = 'PLAIN' }) {
  if (method === 'PLAIN') return c.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  let r = await c.cmd('AUTH LOGIN');
  if (r.code !== 334) return r;
  r = await c.cmd(Buffer.from(user).toString('base64'));
  if (r.code !== 334) return r;
  return c.cmd(Buffer.from(password).toString('base64'));
}

const b64 = (s) => Buffer.from(s).toString('base64');
const ICS = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:01J@bookchat\r\n' +
  'DTSTART:20261207T090000Z\r\nDTEND:20261207T093000Z\r\nSUMMARY:Corte\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
// A message of the shape domain/mail.c builds: encoded words, multipart/mixed around multipart/alternative
// (plain, HTML, calendar) and the invite.ics attachment, quoted-printable with a leading dot and soft breaks.
const SAMPLE = [
  `From: =?UTF-8?B?${b64('Peluquería Ñandú')}?= <noreply@mail.example>`,
  'Reply-To: hola@nandu.example',
  'To: ana@example.com',
  `Subject: =?UTF-8?B?${b64('Reserva confirmada: Corte de pelo,')}?=`,
  ` =?UTF-8?B?${b64(' lunes 7 de diciembre 10:00')}?=`,
  'Date: Tue, 01 Dec 2026 08:00:00 +0000',
  'Message-ID: <d1@mail.example>',
  'MIME-Version: 1.0',
  'Auto-Submitted: auto-generated',
  'Content-Language: es',
  'Content-Type: multipart/mixed;',
  ' boundary="=_bcOUTER"',
  '',
  '--=_bcOUTER',
  'Content-Type: multipart/alternative;',
  ' boundary="=_bcINNER"',
  '',
  '--=_bcINNER',
  'Content-Type: text/plain; charset=UTF-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hola, Ana: tu reserva est=C3=A1 confirmada.',
  '.a line that starts with a dot',
  'A long line that the encoder broke with a soft line break here =',
  'and that continues.',
  '--=_bcINNER',
  'Content-Type: text/html; charset=UTF-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>Hola, Ana: tu reserva est=C3=A1 confirmada.</p>',
  '--=_bcINNER',
  'Content-Type: text/calendar; charset=UTF-8; method=REQUEST',
  'Content-Transfer-Encoding: base64',
  '',
  b64(ICS),
  '--=_bcINNER--',
  '--=_bcOUTER',
  'Content-Type: application/ics; name="invite.ics"',
  'Content-Disposition: attachment; filename="invite.ics"',
  'Content-Transfer-Encoding: base64',
  '',
  b64(ICS),
  '--=_bcOUTER--',
  '',
].join('\r\n');

// ---- tests ------------------------------------------------------------------------------------------------

test('accepts a message and parses it with mailparser', async () => {
  const mc = await startMailCatcher();
  try {
    assert.match(mc.url, /^smtp:\/\/127\.0\.0\.1:\d+$/);
    const r = await send(mc.port, { to: ['ana@example.com', 'staff@example.com'] });
    assert.equal(r.code, 250, r.text);
    const m = await mc.waitFor((x) => x.envelope.rcptTo.includes('staff@example.com'));
    assert.deepEqual(m.envelope, { mailFrom: 'noreply@mail.example', rcptTo: ['ana@example.com', 'staff@example.com'] });
    assert.equal(m.mail.subject, 'Reserva confirmada: Corte de pelo, lunes 7 de diciembre 10:00');
    assert.deepEqual(m.mail.from.value, [{ address: 'noreply@mail.example', name: 'Peluquería Ñandú' }]);
    assert.equal(m.mail.replyTo.value[0].address, 'hola@nandu.example');
    assert.equal(m.mail.messageId, '<d1@mail.example>');
    assert.equal(m.mail.date.toISOString(), '2026-12-01T08:00:00.000Z');
    assert.equal(m.mail.headers.get('auto-submitted'), 'auto-generated');
    // the dot-stuffed line came back unstuffed, the soft break joined
    assert.equal(m.mail.text,
      'Hola, Ana: tu reserva está confirmada.\n.a line that starts with a dot\n' +
      'A long line that the encoder broke with a soft line break here and that continues.');
    assert.equal(m.mail.html, '<p>Hola, Ana: tu reserva está confirmada.</p>');
    const [cal, att] = m.mail.attachments;
    assert.equal(cal.contentType, 'text/calendar');
    assert.equal(cal.headers.get('content-type').params.method, 'REQUEST');
    assert.equal(cal.content.toString(), ICS);
    assert.equal(att.contentType, 'application/ics');
    assert.equal(att.filename, 'invite.ics');
    assert.equal(att.content.toString(), ICS);
    assert.ok(m.raw.toString().includes('\r\n.a line that starts with a dot'));
    assert.equal(m.user, undefined);
    assert.equal(m.secure, false);
  } finally {
    await mc.stop();
  }
});

test('waitFor: resolves for a later message, rejects after its timeout saying what arrived', async () => {
  const mc = await startMailCatcher();
  try {
    const later = mc.waitFor((m) => m.envelope.rcptTo[0] === 'late@example.com', 5000);
    await send(mc.port, { to: ['early@example.com'] });
    await send(mc.port, { to: ['late@example.com'] });
    assert.equal((await later).envelope.rcptTo[0], 'late@example.com');
    await assert.rejects(mc.waitFor((m) => m.envelope.rcptTo[0] === 'never@example.com', 200),
      /no matching message within 200 ms; received 2:\n {2}early@example.com: Reserva confirmada/);
    assert.equal((await mc.waitForCount(2)).length, 2);
    await assert.rejects(mc.waitForCount(3, 100), /2 of 3 messages/);
    // a predicate that throws is a non-match, not a crash
    await assert.rejects(mc.waitFor((m) => m.nothing.here, 100), /no matching message/);
    mc.clear();
    assert.equal(mc.messages.length, 0);
    const pending = mc.waitFor(() => true, 5000);
    await mc.stop();
    await assert.rejects(pending, /stopped while waiting/);
  } finally {
    await mc.stop().catch(() => {});
  }
});

test('AUTH PLAIN and LOGIN with one user; wrong credentials 535, no AUTH 530', async () => {
  const mc = await startMailCatcher({ user: 'bookchat', password: 's3cret pw' });
  try {
    let r = await send(mc.port);
    assert.deepEqual([r.stage, r.code], ['mail', 530]);
    r = await send(mc.port, { auth: { user: 'bookchat', password: 'wrong' } });
    assert.deepEqual([r.stage, r.code], ['auth', 535]);
    r = await send(mc.port, { auth: { user: 'other', password: 's3cret pw', method: 'LOGIN' } });
    assert.deepEqual([r.stage, r.code], ['auth', 535]);
    r = await send(mc.port, { auth: { user: 'bookchat', password: 's3cret pw' } });
    assert.equal(r.code, 250, r.text);
    r = await send(mc.port, { auth: { user: 'bookchat', password: 's3cret pw', method: 'LOGIN' } });
    assert.equal(r.code, 250, r.text);
    assert.equal(mc.messages.length, 2);
    assert.deepEqual(mc.messages.map((m) => m.user), ['bookchat', 'bookchat']);
    assert.deepEqual(mc.auths.map((a) => [a.method, a.username, a.ok]),
      [['PLAIN', 'bookchat', false], ['LOGIN', 'other', false], ['PLAIN', 'bookchat', true], ['LOGIN', 'bookchat', true]]);
  } finally {
    await mc.stop();
  }
});

test('failNext: the next n messages get the reply code, then mail flows again', async () => {
  const mc = await startMailCatcher();
  try {
    mc.failNext(2, 451);
    for (let i = 0; i < 2; i++) {
      const r = await send(mc.port);
      assert.deepEqual([r.stage, r.code], ['data', 451]);
    }
    let r = await send(mc.port);
    assert.equal(r.code, 250);
    assert.equal(mc.messages.length, 1);
    assert.deepEqual(mc.rejected.map((x) => [x.code, x.stage, x.envelope.rcptTo[0]]),
      [[451, 'data', 'ana@example.com'], [451, 'data', 'ana@example.com']]);
    // a permanent refusal at RCPT, counted once for a transaction of two recipients
    mc.failNext(1, 550, { stage: 'rcpt', message: 'No such user' });
    r = await send(mc.port, { to: ['a@example.com', 'b@example.com'] });
    assert.deepEqual([r.stage, r.code], ['rcpt', 550]);
    assert.match(r.text, /No such user/);
    r = await send(mc.port, { to: ['a@example.com', 'b@example.com'] });
    assert.equal(r.code, 250);
    mc.failNext(1, 421, { stage: 'mail' });
    r = await send(mc.port);
    assert.deepEqual([r.stage, r.code], ['mail', 421]);
    mc.failNext(3);
    mc.failNext(0);
    assert.equal((await send(mc.port)).code, 250);
    assert.throws(() => mc.failNext(1, 250), /not a failure reply code/);
    assert.throws(() => mc.failNext(1, 451, { stage: 'helo' }), /unknown stage/);
  } finally {
    await mc.stop();
  }
});

test('STARTTLS with a self-signed certificate: offered, required before AUTH, recorded', async () => {
  const dir = tempDir('bc-mailtls');
  const cert = makeSelfSignedCert(dir);
  const mc = await startMailCatcher({ user: 'u', password: 'p', tls: cert });
  try {
    const c = await RawSmtp.connect(mc.port);
    await c.reply();
    const ehlo = await c.cmd('EHLO client.test');
    assert.match(ehlo.text, /STARTTLS/);
    assert.equal((await c.cmd(`AUTH PLAIN ${b64('\0u\0p')}`)).code, 538); // not before TLS
    await c.quit();
    const r = await send(mc.port, { starttls: true, auth: { user: 'u', password: 'p' } });
    assert.equal(r.code, 250, r.text);
    const m = await mc.waitFor();
    assert.equal(m.secure, true);
    assert.equal(m.user, 'u');
  } finally {
    await mc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('implicit TLS (smtps://) with a certificate', async () => {
  const dir = tempDir('bc-mailtls');
  const mc = await startMailCatcher({ secure: true, tls: makeSelfSignedCert(dir) });
  try {
    assert.match(mc.url, /^smtps:\/\/127\.0\.0\.1:\d+$/);
    const r = await send(mc.port, { implicitTls: true });
    assert.equal(r.code, 250, r.text);
    assert.equal((await mc.waitFor()).secure, true);
  } finally {
    await mc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(startMailCatcher({ secure: true }), /needs opts.tls/);
});

test('without a certificate STARTTLS is neither offered nor accepted; the size limit answers 552', async () => {
  const mc = await startMailCatcher({ size: 4096 });
  try {
    const c = await RawSmtp.connect(mc.port);
    await c.reply();
    const ehlo = await c.cmd('EHLO client.test');
    assert.doesNotMatch(ehlo.text, /STARTTLS/);
    assert.match(ehlo.text, /SIZE 4096/);
    assert.ok((await c.cmd('STARTTLS')).code >= 500);
    await c.quit();
    const big = SAMPLE.replace('Hola, Ana', ('x'.repeat(70) + '=\r\n').repeat(80) + 'Hola, Ana');
    const r = await send(mc.port, { message: big });
    assert.deepEqual([r.stage, r.code], ['data', 552]);
    assert.equal(mc.messages.length, 0);
    assert.deepEqual(mc.rejected.map((x) => [x.code, x.stage]), [[552, 'size']]);
    assert.equal((await send(mc.port)).code, 250); // a message under the limit still passes
  } finally {
    await mc.stop();
  }
});

// What domain/mail.c's design notes rely on: libcurl (here through the curl CLI: the same library the sender
// uses) dot-stuffs the upload itself, so a message handed to it arrives byte for byte, lines of dots
// included; and it upgrades with STARTTLS and verifies the catcher's self-signed certificate given as CA.
// (curl runs as a child process: a synchronous spawn would block the catcher, which lives in this process.)
test('libcurl delivers a message byte for byte, dot lines included, over verified STARTTLS', async () => {
  const dir = tempDir('bc-mailcurl');
  const cert = makeSelfSignedCert(dir);
  const mc = await startMailCatcher({ user: 'bookchat', password: 'pw', tls: cert });
  try {
    const message = SAMPLE.replace('.a line that starts with a dot', '.\r\n..\r\n.x\r\n. ');
    const file = join(dir, 'message.eml');
    writeFileSync(file, message);
    await promisify(execFile)('curl', ['-sS', '--ssl-reqd', '--cacert', cert.certPath, mc.url,
      '--user', 'bookchat:pw', '--mail-from', 'noreply@mail.example', '--mail-rcpt', 'ana@example.com',
      '--upload-file', file], { timeout: 20000 });
    const m = await mc.waitFor();
    assert.equal(m.raw.toString(), message);
    assert.equal(m.secure, true);
    assert.equal(m.user, 'bookchat');
    // (a decoder drops the space ending a quoted-printable line, RFC 2045 6.7 (3))
    assert.match(m.mail.text, /\n\.\n\.\.\n\.x\n\.\n/);
  } finally {
    await mc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

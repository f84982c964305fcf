// A real SMTP server for the API tests (nodemailer's smtp-server on 127.0.0.1, a free port): it accepts what
// bookchat sends, parses every message with mailparser's simpleParser, keeps them in `messages` and lets a
// test wait for one. It can ask for AUTH PLAIN/LOGIN with one user, offer STARTTLS or implicit TLS with a
// given certificate, and refuse the next n messages with a reply code (4xx: retry later; 5xx: give up).
//
//   const mc = await startMailCatcher({ user: 'bc', password: 'pw' });
//   …serve with BOOKCHAT_SMTP_URL=mc.url, BOOKCHAT_SMTP_USER=bc, BOOKCHAT_SMTP_PASSWORD=pw…
//   const m = await mc.waitFor((m) => m.envelope.rcptTo.includes('ana@example.com'));
//   m.mail.subject, m.mail.text, m.mail.html, m.mail.attachments …   (mailparser's ParsedMail)
//   await mc.stop();
//
// The server runs in the test's own process: run clients asynchronously (spawn, execFile), never with
// execFileSync/spawnSync, which would block the event loop the server answers on.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Starts the catcher; resolves once it listens.
 * @param {object} [opts]
 * @param {string} [opts.user]      with password: only this user/password passes AUTH (535 else); without
 *        them any credentials pass. AUTH PLAIN and LOGIN are always offered.
 * @param {string} [opts.password]
 * @param {boolean} [opts.requireAuth]  MAIL FROM before a successful AUTH is refused (530); default: true
 *        when a user is given
 * @param {string[]} [opts.authMethods]  default ['PLAIN', 'LOGIN']
 * @param {{key: string|Buffer, cert: string|Buffer}} [opts.tls]  a certificate: STARTTLS is offered (or
 *        implicit TLS with opts.secure); without one STARTTLS is neither offered nor accepted
 * @param {boolean} [opts.secure]   implicit TLS (smtps://) instead of STARTTLS; needs opts.tls
 * @param {number} [opts.size]      the SIZE limit in bytes (552 past it); default 10 MiB
 */
export async function startMailCatcher(opts = {}) {
  const mc = new MailCatcher(opts);
  await mc._listen();
  return mc;
}

export class MailCatcher {
  constructor(opts = {}) {
    if (opts.secure && !opts.tls) throw new Error('mailcatcher: implicit TLS (secure) needs opts.tls {key, cert}');
    if ((opts.user === undefined) !== (opts.password === undefined))
      throw new Error('mailcatcher: give both user and password, or neither');
    this.opts = opts;
    /** Accepted messages, in order: {envelope: {mailFrom, rcptTo: string[]}, raw: Buffer, mail: ParsedMail,
     *  user: string|undefined, secure: boolean, receivedAt: Date} */
    this.messages = [];
    /** Messages refused by failNext, or for their size (stage 'size', 552): {envelope, code, stage} */
    this.rejected = [];
    /** AUTH attempts: {method, username, ok} */
    this.auths = [];
    this._fail = { n: 0, code: 451, message: '', stage: 'data' };
    this._failing = new WeakSet(); // envelopes of transactions being refused
    this._waiters = new Set();
    this._errors = [];
    const requireAuth = opts.requireAuth ?? opts.user !== undefined;
    this.server = new SMTPServer({
      logger: false,
      banner: 'bookchat test mailcatcher',
      disableReverseLookup: true, // no DNS in tests
      size: opts.size ?? 10 * 1024 * 1024,
      rejectOversized: true,
      secure: !!opts.secure,
      ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
      // without a certificate: no STARTTLS at all (not smtp-server's built-in test certificate)
      ...(opts.tls ? {} : { disabledCommands: ['STARTTLS'], hideSTARTTLS: true }),
      authOptional: !requireAuth,
      authMethods: opts.authMethods || ['PLAIN', 'LOGIN'],
      // with a certificate a client must upgrade before AUTH (538 else), as real submission servers demand
      allowInsecureAuth: !opts.tls,
      closeTimeout: 1000,
      onAuth: (a, session, cb) => this._onAuth(a, session, cb),
      onMailFrom: (address, session, cb) => this._refuse('mail', session, cb),
      onRcptTo: (address, session, cb) => this._refuse('rcpt', session, cb),
      onData: (stream, session, cb) => this._onData(stream, session, cb),
    });
    this.server.on('error', (err) => this._errors.push(err));
  }

  _listen() {
    return new Promise((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.server.off('error', reject);
        this.port = this.server.server.address().port;
        resolve();
      });
    });
  }

  /** The URL for bookchat's smtp_url: smtp://127.0.0.1:PORT, or smtps:// with implicit TLS. */
  get url() {
    return `${this.opts.secure ? 'smtps' : 'smtp'}://127.0.0.1:${this.port}`;
  }

  /**
   * Refuses the next n messages with `code` (default 451, a temporary failure a sender must retry; a 5xx
   * is permanent) at `stage`: 'data' (after the whole message, the default), 'rcpt' or 'mail'. One refused
   * transaction counts once, whatever its number of recipients. failNext(0) cancels.
   */
  failNext(n, code = 451, { message, stage = 'data' } = {}) {
    if (!['data', 'rcpt', 'mail'].includes(stage)) throw new Error(`mailcatcher: unknown stage ${stage}`);
    if (!(code >= 400 && code <= 599)) throw new Error(`mailcatcher: ${code} is not a failure reply code`);
    this._fail = {
      n,
      code,
      stage,
      message: message || (code < 500 ? 'Temporary failure (mailcatcher), try again later' : 'Refused (mailcatcher)'),
    };
  }

  /**
   * Resolves with the first accepted message (already received or still to come) for which predicate(m)
   * is true; rejects after timeoutMs with what was received, to make a failing test say why.
   */
  waitFor(predicate = () => true, timeoutMs = 5000) {
    const found = this.messages.find((m) => safe(predicate, m));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        predicate,
        resolve: (m) => {
          clearTimeout(w.timer);
          this._waiters.delete(w);
          resolve(m);
        },
        reject,
      };
      w.timer = setTimeout(() => {
        this._waiters.delete(w);
        const seen = this.messages.map((m) => `${m.envelope.rcptTo.join(',')}: ${m.mail.subject}`);
        reject(new Error(`mailcatcher: no matching message within ${timeoutMs} ms; received ${seen.length}` +
          (seen.length ? `:\n  ${seen.join('\n  ')}` : '') +
          (this.rejected.length ? `\nrefused: ${this.rejected.length}` : '')));
      }, timeoutMs);
      this._waiters.add(w);
    });
  }

  /** Resolves when `n` messages have been accepted in all (rejects after timeoutMs). */
  async waitForCount(n, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > deadline)
        throw new Error(`mailcatcher: ${this.messages.length} of ${n} messages within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.messages.slice(0, n);
  }

  /** Forgets the messages, refusals and AUTH attempts received so far. */
  clear() {
    this.messages.length = 0;
    this.rejected.length = 0;
    this.auths.length = 0;
  }

  /** Stops listening and closes open connections (after at most a second); rejects pending waitFor calls. */
  stop() {
    for (const w of this._waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('mailcatcher: stopped while waiting for a message'));
    }
    this._waiters.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  _onAuth(a, session, cb) {
    const { user, password } = this.opts;
    const ok = user === undefined || (a.username === user && a.password === password);
    this.auths.push({ method: a.method, username: a.username, ok });
    if (!ok) return cb(withCode(new Error('Authentication failed (mailcatcher)'), 535));
    cb(null, { user: a.username });
  }

  // The failNext switch at the MAIL FROM and RCPT TO stages (the DATA stage is in _onData).
  _refuse(stage, session, cb) {
    if (this._failing.has(session.envelope)) return cb(withCode(new Error(this._fail.message), this._fail.code));
    if (stage === this._fail.stage && this._fail.n > 0) {
      this._fail.n--;
      this._failing.add(session.envelope);
      this.rejected.push({ envelope: envelopeOf(session), code: this._fail.code, stage });
      return cb(withCode(new Error(this._fail.message), this._fail.code));
    }
    cb();
  }

  _onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', (err) => cb(err));
    stream.on('end', async () => {
      const envelope = envelopeOf(session);
      if (stream.sizeExceeded) { // smtp-server answers 552 itself (rejectOversized)
        this.rejected.push({ envelope, code: 552, stage: 'size' });
        return cb();
      }
      if (this._fail.stage === 'data' && this._fail.n > 0) {
        this._fail.n--;
        this.rejected.push({ envelope, code: this._fail.code, stage: 'data' });
        return cb(withCode(new Error(this._fail.message), this._fail.code));
      }
      const raw = Buffer.concat(chunks);
      let mail;
      try {
        mail = await simpleParser(raw);
      } catch (err) {
        return cb(withCode(new Error(`Unparsable message (mailcatcher): ${err.message}`), 554));
      }
      const m = { envelope, raw, mail, user: session.user, secure: !!session.secure, receivedAt: new Date() };
      this.messages.push(m);
      for (const w of [...this._waiters]) if (safe(w.predicate, m)) w.resolve(m);
      cb(null, 'OK: message accepted (mailcatcher)');
    });
  }
}

function envelopeOf(session) {
  return {
    mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
  };
}

function withCode(err, code) {
  err.responseCode = code;
  return err;
}

function safe(predicate, m) {
  try {
    return !!predicate(m);
  } catch {
    return false;
  }
}

/**
 * A throw-away self-signed certificate for 127.0.0.1 and localhost (OpenSSL's CLI, a P-256 key), for the
 * tls option; certPath is the PEM file a client can trust (e.g. curl's CAINFO). Files go in dir.
 */
export function makeSelfSignedCert(dir) {
  const keyPath = join(dir, 'mailcatcher-key.pem'), certPath = join(dir, 'mailcatcher-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), keyPath, certPath };
}

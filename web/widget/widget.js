// The embeddable booking chat. One tag on any site:
//   <script src="https://HOST/widget.js" data-key="pk_live_…" async></script>
// draws a launcher bubble and a chat panel inside a shadow root (the page's CSS cannot reach them), styled
// by the business's branding from /v1/widget/config, and talks to the widget API with the key. The
// conversation is kept in localStorage (shared by tabs, kept across page loads). No framework; the build
// (scripts/build-web.mjs) bundles this file, its modules and its CSS into one minified /widget.js.
// Options (data-* attributes) and the window.BookChat API are documented in docs/web.md.
import css from './widget.css';
import { client } from './api.js';
import { h, icon, linkified, accentVars } from './dom.js';
import { conversationStore } from './store.js';
import { altcha } from './pow.js';
import { pickLang, texts } from './i18n.js';

const MIN_TYPING_MS = 350; // a reply that arrives at once still shows the typing dots for a moment
const HEX = /^#[0-9a-f]{6}$/i;

const script = document.currentScript || document.querySelector('script[src*="widget.js"][data-key]');
const ds = (script && script.dataset) || {};
const key = ds.key;
const base = (ds.api || (script ? new URL('.', script.src).href : '')).replace(/\/+$/, '');

if (!key || !base) {
  console.warn('[bookchat] widget.js needs data-key="pk_live_…" on its <script> tag');
} else if (!(window.BookChat && window.BookChat.key === key)) {
  start();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start() {
  const api = client(base, key);
  const store = conversationStore(base, key);
  const coarse = window.matchMedia && matchMedia('(pointer: coarse)').matches;
  let cfg = null, T = texts(pickLang(ds.locale)), lang = 'es';
  let status = 'loading'; // loading | ready | offline | unavailable
  let conv = null, loaded = false, loading = null, pending = false, isOpen = false;
  let host = null, el = {};
  let ahead = null; // the X-Altcha value of a challenge solved ahead (the business asks for one always)
  let ready;
  const mounted = new Promise((r) => (ready = r));

  window.BookChat = {
    key,
    open: () => mounted.then(open),
    close: () => mounted.then(close),
    toggle: () => mounted.then(() => (isOpen ? close() : open())),
    restart: () => mounted.then(restart),
    // opens the chat and sends text as the customer (a "Book a cleaning" button on the page, say)
    ask: (text) =>
      mounted.then(async () => {
        open();
        if (status === 'ready' && text) await send({ text: String(text) }, String(text));
      }),
  };

  const whenBody = (fn) => (document.body ? fn() : document.addEventListener('DOMContentLoaded', fn, { once: true }));
  whenBody(async () => {
    await boot();
    mount();
    ready();
    if (ds.open === 'true' || store.open) open(false);
  });

  store.onChange(() => {
    const c = store.get();
    if (!c) return; // another tab is starting over: its new conversation follows
    if (!conv || c.id !== conv.id || c.n !== conv.n) {
      conv = c;
      loaded = false;
      if (isOpen && status === 'ready' && !pending) ensureConversation();
    }
  });

  // Reads the branding; tells an origin that is not allowed (or a bad key) from a server that is down.
  async function boot() {
    try {
      cfg = await api.config();
      status = 'ready';
    } catch (e) {
      if (e.kind === 'http' && [401, 403, 404, 410].includes(e.status)) status = 'unavailable';
      else if (e.kind === 'network') status = (await api.alive()) ? 'unavailable' : 'offline';
      else status = 'offline';
      if (status === 'unavailable')
        console.warn(`[bookchat] the widget is not available on ${location.origin}: check that the key is active and that this origin is among its allowed origins.`);
    }
    lang = pickLang(ds.locale, cfg && cfg.locale, document.documentElement.lang);
    T = texts(lang);
  }

  // Proof of work (pow.js), never seen by the customer: solved in a worker as soon as the customer shows
  // interest (pointer over, or focus on, the launcher) when the business always asks for it, or when a start
  // is answered 428 challenge_required (an attack is on). A page view without interest costs nothing.
  const always = () => cfg && cfg.challenge === 'always';
  function solveAhead() {
    if (!ahead) (ahead = api.challenge().then(altcha)).catch(() => (ahead = null));
    return ahead;
  }

  async function startConversation(locale) {
    const pow = always() ? await solveAhead().catch(() => null) : null;
    ahead = null; // a solution is accepted once
    try {
      return await api.start(locale, pow);
    } catch (e) {
      if (!(e.kind === 'http' && e.code === 'challenge_required')) throw e;
      return api.start(locale, await altcha(await api.challenge()));
    }
  }

  function mount() {
    const b = (cfg && cfg.branding) || {};
    const color = HEX.test(b.color || '') ? b.color : '#2563eb';
    const position = (ds.position || b.position) === 'left' ? 'left' : 'right';
    const title = b.title || (cfg && cfg.business && cfg.business.name) || 'Chat';

    host = document.createElement('div');
    host.setAttribute('data-bookchat', '');
    // inline !important declarations beat any rule of the page, `* { all: unset }` included
    const hs = { all: 'initial', position: 'fixed', top: '0', left: '0', width: '0', height: '0', display: 'block', 'z-index': '2147483000', overflow: 'visible', visibility: 'visible', opacity: '1', transform: 'none', filter: 'none' };
    for (const p in hs) host.style.setProperty(p, hs[p], 'important');
    const root = host.attachShadow({ mode: 'open' });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(h('style', { text: css })); // older browsers
    }

    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
    if (/^https?:\/\//.test(b.logo_url || '')) avatar.append(h('img', { src: b.logo_url, alt: '' }));
    else avatar.textContent = title.trim().charAt(0).toUpperCase();

    const interest = () => always() && !conv && !store.get() && solveAhead();
    el.launcher = h('button', { class: 'launcher', type: 'button', 'aria-controls': 'bc-panel', 'aria-expanded': 'false', 'aria-label': T.open, title: T.open, onclick: () => (isOpen ? close() : open()), onpointerenter: interest, onfocus: interest }, icon('chat', 'i-chat'), icon('close', 'i-close'));
    el.restart = h('button', { class: 'tool', type: 'button', 'aria-label': T.restart, title: T.restart, onclick: restart }, icon('restart'));
    el.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': title, tabindex: '0' });
    el.input = h('input', { class: 'input', type: 'text', 'aria-label': T.input, placeholder: T.placeholder, maxlength: '2000', autocomplete: 'off', enterkeyhint: 'send' });
    el.send = h('button', { class: 'send', type: 'submit', 'aria-label': T.send, title: T.send, disabled: true }, icon('send'));
    el.input.addEventListener('input', syncSend);
    el.form = h('form', { class: 'compose', onsubmit: onSubmit }, el.input, el.send);
    el.panel = h(
      'section',
      { class: 'panel', id: 'bc-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'bc-title', tabindex: '-1', hidden: true },
      h('header', { class: 'head' }, avatar, h('div', { class: 'who' }, h('h2', { class: 'title', id: 'bc-title', text: title }), (el.subtitle = h('p', { class: 'subtitle', text: T.subtitle }))), el.restart, h('button', { class: 'tool', type: 'button', 'aria-label': T.close, title: T.close, onclick: close }, icon('close'))),
      el.log,
      el.form,
      h('p', { class: 'powered', text: T.powered }),
    );
    el.wrap = h('div', { class: `bc ${position}${ds.launcher === 'false' ? ' nolauncher' : ''}`, lang, onkeydown: (e) => e.key === 'Escape' && isOpen && (e.stopPropagation(), close()) }, el.launcher, el.panel);
    const vars = accentVars(color);
    for (const v in vars) el.wrap.style.setProperty(v, vars[v]);
    root.append(el.wrap);
    document.body.append(host);
    showStatus();
  }

  function open(focus = true) {
    if (isOpen) return;
    isOpen = store.open = true;
    el.panel.hidden = false;
    el.wrap.classList.add('open');
    requestAnimationFrame(() => requestAnimationFrame(() => el.wrap.classList.add('shown')));
    el.launcher.setAttribute('aria-expanded', 'true');
    el.launcher.setAttribute('aria-label', T.close);
    if (focus) focusComposer();
    if (status === 'ready') ensureConversation();
  }

  function close() {
    if (!isOpen) return;
    isOpen = store.open = false;
    el.wrap.classList.remove('open', 'shown');
    el.panel.hidden = true;
    el.launcher.setAttribute('aria-expanded', 'false');
    el.launcher.setAttribute('aria-label', T.open);
    if (ds.launcher !== 'false') el.launcher.focus();
  }

  // On a phone the keyboard would cover the chat: focus the panel rather than the text field there.
  function focusComposer() {
    if (coarse || el.input.disabled || el.form.hidden) el.panel.focus({ preventScroll: true });
    else el.input.focus({ preventScroll: true });
  }

  function syncSend() {
    el.send.disabled = pending || !el.input.value.trim();
  }

  function scrollDown() {
    el.log.scrollTop = el.log.scrollHeight;
  }

  function showStatus() {
    const ok = status === 'ready';
    el.form.hidden = !ok;
    el.restart.hidden = !ok;
    el.subtitle.hidden = !ok;
    if (ok) return;
    const unavailable = status === 'unavailable';
    el.log.replaceChildren(
      h(
        'div',
        { class: 'state', role: 'status' },
        icon(unavailable ? 'alert' : 'offline'),
        h('strong', { text: unavailable ? T.unavailableTitle : T.offlineTitle }),
        h('p', { text: unavailable ? T.unavailable : T.offline }),
        unavailable ? h('small', { text: T.owner.replace('{origin}', location.origin) }) : h('button', { class: 'link', type: 'button', text: T.retry, onclick: retryBoot }),
      ),
    );
  }

  async function retryBoot() {
    await boot();
    if (status === 'loading' || status === 'offline') return showStatus();
    host.remove(); // the branding and the language may have changed: draw it again
    isOpen = false;
    mount();
    open();
  }

  function bubble(role, text) {
    return h('div', { class: `msg ${role === 'user' ? 'user' : 'bot'}` }, h('span', { class: 'sr', text: (role === 'user' ? T.you : T.bot) + ' ' }), linkified(text || ''));
  }

  function when(b) {
    try {
      const s = new Date(b.start), e = b.end ? new Date(b.end) : null, tz = cfg && cfg.timezone;
      const day = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', timeZone: tz }).format(s);
      const t = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit', timeZone: tz });
      return `${day.charAt(0).toUpperCase()}${day.slice(1)}, ${t.format(s)}${e ? '–' + t.format(e) : ''}`;
    } catch {
      return b.start;
    }
  }

  function card(b) {
    const row = (dt, dd, cls) => dd && [h('dt', { text: dt }), h('dd', { class: cls, text: dd })];
    return h(
      'div',
      { class: 'card', role: 'group', 'aria-label': T.booked },
      h('div', { class: 'card-head' }, icon('check'), h('span', { text: T.booked })),
      h('dl', {}, row(T.code, b.code, 'code'), row(T.service, b.service), row(T.provider, b.provider), row(T.when, when(b))),
      h('p', { text: T.keep }),
      b.ics_url && h('a', { class: 'ics', href: b.ics_url, download: lang === 'es' ? 'cita.ics' : 'appointment.ics', target: '_blank', rel: 'noopener' }, icon('calendar'), h('span', { text: T.ics })),
    );
  }

  // A waitlist offer in the chat: its accept page on the booking server (the path the server gave, under
  // /manage/ only), opened in a new tab without a Referer (its token is in the URL).
  function offerLink(o) {
    const ok = typeof o.path === 'string' && o.path.startsWith('/manage/?');
    return ok ? h('a', { class: 'ics offer', href: base + o.path, target: '_blank', rel: 'noopener noreferrer' }, icon('calendar'), h('span', { text: T.acceptOffer })) : null;
  }

  function removeChips() {
    if (el.chips) el.chips.remove();
    el.chips = null;
  }

  function chips(replies) {
    removeChips();
    if (!replies || !replies.length) return;
    el.chips = h(
      'div',
      { class: 'chips', role: 'group', 'aria-label': T.replies },
      replies.map((q) => h('button', { class: 'chip', type: 'button', text: q.label, onclick: () => (send({ action: q.payload }, q.label), focusComposer()) })),
    );
    el.log.append(el.chips);
  }

  // Appends messages (a turn's answer, or a whole transcript); quick replies only for the last one.
  function render(messages, live) {
    const labels = {};
    let last = null;
    for (const m of messages || []) {
      if (m.role === 'user') {
        const text = m.text || labels[m.action];
        if (text) el.log.append(bubble('user', text));
        last = null;
        continue;
      }
      if (m.text) el.log.append(bubble('bot', m.text));
      const offer = m.waitlist_offer && offerLink(m.waitlist_offer);
      if (offer) el.log.append(offer);
      if (m.booking && m.booking.code) {
        el.log.append(card(m.booking));
        if (live) window.dispatchEvent(new CustomEvent('bookchat:booked', { detail: { code: m.booking.code, start: m.booking.start, end: m.booking.end, service: m.booking.service, provider: m.booking.provider } }));
      }
      for (const q of m.quick_replies || []) labels[q.payload] = q.label;
      last = m;
    }
    chips(last && last.quick_replies);
    scrollDown();
  }

  function typing(on) {
    if (el.typing) el.typing.remove();
    el.typing = on ? h('div', { class: 'msg bot typing', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')) : null;
    if (on) el.log.append(el.typing);
    el.log.setAttribute('aria-busy', on ? 'true' : 'false');
    scrollDown();
  }

  function notice(text, retry) {
    const n = h('div', { class: 'notice', role: 'alert' }, h('span', { text }), retry && h('button', { class: 'link', type: 'button', text: T.retry, onclick: () => (n.remove(), retry()) }));
    el.log.append(n);
    scrollDown();
  }

  function fail(e, retry) {
    if (e.kind === 'http' && (e.status === 401 || e.status === 403 || e.status === 410)) {
      status = 'unavailable';
      return showStatus();
    }
    if (e.kind === 'http' && e.status === 429) {
      if (e.code === 'plan_limit_exceeded') return notice(T.limit);
      return notice(T.slow, () => sleep(Math.min(e.retryAfter, 10) * 1000).then(retry));
    }
    notice(e.kind === 'http' ? T.error : T.sendFailed, retry);
  }

  // Loads the conversation of this browser (or starts one) into the log, once per open.
  function ensureConversation(note) {
    if (loaded) return loading;
    loaded = true;
    loading = (async () => {
      el.log.replaceChildren();
      removeChips();
      typing(true);
      try {
        conv = store.get();
        if (conv) {
          try {
            const t = await api.transcript(conv);
            typing(false);
            render(t.messages, false);
            conv.n = t.messages.length;
            return;
          } catch (e) {
            if (!(e.kind === 'http' && e.status === 404)) throw e;
            conv = null; // expired or from another key: start again
          }
        }
        const r = await startConversation(ds.locale);
        conv = { id: r.conversation.id, token: r.conversation.token, n: r.messages.length };
        store.set(conv);
        typing(false);
        if (note) notice(note);
        render(r.messages, true);
      } catch (e) {
        typing(false);
        loaded = false;
        fail(e, () => ensureConversation(note));
      }
    })();
    return loading;
  }

  async function restart() {
    if (pending) return;
    store.set(null);
    conv = null;
    loaded = false;
    await ensureConversation();
    focusComposer();
  }

  function onSubmit(e) {
    e.preventDefault();
    const text = el.input.value.trim();
    if (!text || pending) return;
    el.input.value = '';
    send({ text }, text);
  }

  async function send(body, label, again) {
    if (pending) return;
    await ensureConversation();
    if (!conv) return;
    pending = true;
    syncSend();
    el.log.querySelectorAll('.chip').forEach((c) => (c.disabled = true));
    removeChips();
    if (!again) el.log.append(bubble('user', label));
    typing(true);
    const t0 = Date.now();
    try {
      let r;
      try {
        r = await api.send(conv, body);
      } catch (e) {
        if (!(e.kind === 'http' && e.status === 409)) throw e;
        await sleep(800); // another tab's message of this conversation is being answered
        r = await api.send(conv, body);
      }
      await sleep(MIN_TYPING_MS - (Date.now() - t0));
      typing(false);
      render(r.messages, true);
      conv.n += 1 + r.messages.length;
      store.set(conv);
    } catch (e) {
      typing(false);
      const polite = e.body && Array.isArray(e.body.messages) && e.body.messages;
      if (e.kind === 'http' && e.status === 429 && polite && polite.length) {
        render(polite, true); // the plan's limit, in the business's words
        conv.n += polite.length;
        store.set(conv);
      } else if (e.kind === 'http' && e.status === 404) {
        store.set(null);
        conv = null;
        loaded = false;
        ensureConversation(T.expired);
      } else {
        fail(e, () => send(body, label, true));
      }
    } finally {
      pending = false;
      syncSend();
    }
  }
}

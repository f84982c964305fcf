// The customer's manage page (/manage/?code=…&token=…, the link of the booking's e-mails): the booking, a
// calendar file, cancel (confirmed in a dialog) and reschedule (a day, its free times, confirm). The manage
// token in the URL is the only credential; the page sends it only to this server's /v1/manage/ API and sends
// no Referer anywhere (Referrer-Policy: no-referrer on the page and every answer). It looks like the chat
// widget (its styles and colour) and speaks Spanish or English: the browser's language when it is one of
// them, else the business's, with a switch.
import { h, icon, accentVars } from '../widget/dom.js';
import { apiClient } from '../shared/http.js';
import { makeI18n, LANGS } from '../shared/i18n.js';
import { addDays, fmtDay, local, today } from '../shared/format.js';
import { TEXTS } from './i18n.js';

const HEX = /^#[0-9a-f]{6}$/i;
const params = new URLSearchParams(location.search);
const token = params.get('token') || '';
// a waitlist offer's link (/manage/?waitlist=<entry id>&token=<offer token>): accept it, then the booking
const offer = params.get('waitlist');
let manageToken = token;
const api = apiClient({ token: () => null });
const browserLang = (navigator.languages || [navigator.language]).map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => LANGS.includes(l));
const t = makeI18n(TEXTS, params.get('lang') || browserLang || 'es');
const app = document.getElementById('app');

// what the page knows: the manage answer, the state shown, the reschedule picker's day, slots and choice
const S = { data: null, view: 'loading', error: null, flash: null, day: null, anyPro: false, slots: null, slotsErr: null, pick: null, busy: false };
let slotsReq = 0;

const q = (extra = {}) => api.q({ token: manageToken, ...extra });

async function load() {
  if (offer && manageToken === token) {
    S.view = token ? 'offer' : 'invalid';
    return render();
  }
  S.view = 'loading';
  render();
  if (!token) return fail({ status: 404 });
  try {
    S.data = await api.get('/v1/manage/booking' + q());
    if (!params.get('lang') && !browserLang) t.set(S.data.business.locale);
    S.view = 'booking';
  } catch (e) {
    return fail(e);
  }
  render();
}

// the page-wide states of a failed load
function fail(e) {
  S.view = e.status === 404 ? 'invalid' : e.code === 'manage_token_expired' ? 'expired' : e.code === 'tenant_suspended' || e.code === 'tenant_deleted' ? 'unavailable' : 'error';
  S.error = e;
  render();
}

// an error of an action, said in the page's language
function say(e) {
  if (e.status === 0) return t('offline');
  if (e.status === 429) return t('slow');
  if (e.code === 'slot_unavailable') return t('taken');
  if (e.status === 404 || e.status === 410 || e.status === 403) return null; // the whole page changes
  return e.message && e.status < 500 ? e.message : t('error');
}

// dates in the browser's own variant of the page's language (en-GB: "Friday 4 December"), else the language
const fmtLang = () => (navigator.languages || [navigator.language]).find((l) => String(l).slice(0, 2).toLowerCase() === t.lang()) || t.lang();

const whenText = (iso) => {
  const { day, time } = local(iso);
  return `${fmtDay(day, fmtLang(), { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })}, ${time}`;
};
// the same inside a sentence: Spanish writes the weekday in lower case there ("hasta el miércoles, …")
const whenMid = (iso) => (t.lang() === 'es' ? whenText(iso).replace(/^./, (c) => c.toLowerCase()) : whenText(iso));

function render() {
  app.setAttribute('aria-busy', S.view === 'loading' ? 'true' : 'false');
  const d = S.data;
  if (d) {
    const vars = accentVars(HEX.test(d.business.color || '') ? d.business.color : '#2563eb');
    for (const v in vars) app.style.setProperty(v, vars[v]);
  }
  document.title = `${t('title')}${d ? ' · ' + d.business.name : ''}`;
  const main = h('main', { class: 'main', id: 'main' });
  if (S.view === 'loading') main.append(h('p', { class: 'state', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('loading')));
  else if (S.view === 'booking' || S.view === 'reschedule') main.append(...bookingView(d));
  else if (S.view === 'offer') main.append(offerView());
  else main.append(stateView(S.view));
  app.replaceChildren(header(d), main, h('p', { class: 'powered', text: t('powered') }));
}

function header(d) {
  const name = d ? d.business.name : '';
  const other = LANGS.find((l) => l !== t.lang());
  return h(
    'header',
    { class: 'head' },
    h('div', { class: 'avatar', 'aria-hidden': 'true', text: (name || '·').trim().charAt(0).toUpperCase() }),
    h('div', { class: 'who' }, h('p', { class: 'biz', text: name }), h('h1', { class: 'title', text: t('title') })),
    h('button', { class: 'lang', type: 'button', lang: other, 'aria-label': t('languageLabel'), onclick: () => switchLang(other) }, t('language')),
  );
}

function switchLang(l) {
  t.set(l);
  render();
  document.querySelector('.lang')?.focus();
}

function stateView(view) {
  const retry = view === 'error' && h('button', { class: 'btn primary', type: 'button', onclick: load }, t('retry'));
  const text = view === 'error' && S.error && S.error.status === 0 ? t('offline') : t(view);
  return h('section', { class: 'state', role: 'alert' }, icon(view === 'error' ? 'offline' : 'alert'), h('h2', { text: t(view + 'Title') }), h('p', { text }), retry);
}

function bookingView(d) {
  const b = d.booking;
  const st = b.status;
  const out = [];
  if (S.flash) out.push(h('p', { class: 'flash', role: 'status', tabindex: '-1', id: 'flash' }, icon('check'), h('span', { text: S.flash })));
  const head = st === 'confirmed' ? t('headConfirmed') : st === 'cancelled' ? t('headCancelled') : t('headPast');
  const row = (k, v, cls) => [h('dt', { text: t(k) }), h('dd', { class: cls, text: v })];
  out.push(
    h(
      'section',
      { class: `card ${st}`, 'aria-labelledby': 'card-head' },
      h('h2', { class: 'card-head', id: 'card-head' }, icon(st === 'cancelled' ? 'close' : 'check'), h('span', { text: head })),
      h(
        'dl',
        null,
        row('code', b.code, 'code'),
        row('service', b.service_name),
        row('provider', b.provider_name),
        row('when', whenText(b.start), 'when'),
        row('status', t.has('status.' + st) ? t('status.' + st) : st, 'status'),
      ),
      h('p', { class: 'zone', text: t('zone', { zone: b.timezone || d.business.timezone }) }),
      st !== 'cancelled' && h('a', { class: 'ics', href: icsHref(d), download: 'booking.ics' }, icon('calendar'), t('ics')),
    ),
  );
  if (st === 'cancelled') out.push(h('p', { class: 'note', text: t('cancelledNote') }));
  else if (d.can_cancel) {
    out.push(h('p', { class: 'note', text: t('until', { when: whenMid(d.cancel_until) }) }));
    if (S.view === 'reschedule') out.push(rescheduleView(d));
    else
      out.push(
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'btn primary', type: 'button', id: 'reschedule', onclick: openReschedule }, t('reschedule')),
          h('button', { class: 'btn danger', type: 'button', id: 'cancel', onclick: askCancel }, t('cancel')),
        ),
      );
  } else if (st === 'confirmed') {
    const phone = d.business.phone;
    out.push(
      h(
        'p',
        { class: 'notice', role: 'note' },
        icon('alert'),
        h('span', null, t('tooLate') + ' ', phone ? [t('call', { business: d.business.name }) + ' ', h('a', { href: 'tel:' + phone.replace(/[^+\d]/g, ''), text: phone })] : t('callNoPhone', { business: d.business.name })),
      ),
    );
  }
  if (S.actionError) out.push(h('p', { class: 'error', role: 'alert', id: 'action-error', text: S.actionError }));
  return out;
}

// the calendar link of this server (the answer's ics_url may name the public URL of another host)
function icsHref(d) {
  try {
    const u = new URL(d.ics_url, location.href);
    return u.pathname + u.search;
  } catch {
    return '/v1/manage/booking.ics' + q();
  }
}

// ---- a waitlist offer ----

function offerView() {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'offer-head' },
    h('h2', { class: 'card-head', id: 'offer-head' }, icon('calendar'), h('span', { text: t('offerTitle') })),
    h('p', { class: 'note', text: t('offerText') }),
    S.actionError && h('p', { class: 'error', role: 'alert', id: 'action-error', text: S.actionError }),
    h('div', { class: 'actions' }, h('button', { class: 'btn primary', type: 'button', id: 'accept', disabled: S.busy, onclick: acceptOffer }, t('offerAccept'))),
  );
}

async function acceptOffer() {
  if (S.busy) return;
  S.busy = true;
  S.actionError = null;
  render();
  try {
    const r = await api.post(`/v1/widget/waitlist/${encodeURIComponent(offer)}/accept`, { token });
    manageToken = r.booking.manage_token; // from here on, the booking's own page
    S.busy = false;
    await load();
    S.flash = t('offerBooked');
    render();
    return;
  } catch (e) {
    S.busy = false;
    if (e.status === 409 && e.code !== 'slot_unavailable') return stateOffer('offerTaken');
    if (e.status === 410 || e.code === 'slot_unavailable') return stateOffer('offerGone');
    if (e.status === 404) return fail(e);
    S.actionError = say(e) || t('error');
  }
  render();
}

function stateOffer(key) {
  S.view = 'offerDone';
  S.error = null;
  const main = h('main', { class: 'main', id: 'main' }, h('section', { class: 'state', role: 'alert' }, icon('alert'), h('h2', { text: t(key + 'Title') }), h('p', { text: t(key) })));
  app.replaceChildren(header(null), main, h('p', { class: 'powered', text: t('powered') }));
}

// ---- cancel ----

function askCancel() {
  const b = S.data.booking;
  const opener = document.activeElement;
  const yes = h('button', { class: 'btn danger', type: 'button', value: 'yes' }, t('confirmYes'));
  const no = h('button', { class: 'btn', type: 'button', value: 'no', autofocus: true }, t('confirmNo'));
  const dlg = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'dlg-title', 'aria-describedby': 'dlg-text' },
    h('h2', { id: 'dlg-title', text: t('confirmTitle') }),
    h('p', { id: 'dlg-text', text: t('confirmText', { service: b.service_name, when: whenMid(b.start) }) }),
    h('div', { class: 'actions' }, yes, no),
  );
  const close = () => {
    dlg.close();
    dlg.remove();
  };
  no.addEventListener('click', () => {
    close();
    opener && opener.focus();
  });
  dlg.addEventListener('cancel', () => setTimeout(() => opener && opener.focus()));
  dlg.addEventListener('close', () => dlg.remove());
  yes.addEventListener('click', async () => {
    yes.disabled = no.disabled = true;
    close();
    await act(() => api.post('/v1/manage/booking/cancel', { token: manageToken }), t('cancelled'));
  });
  app.append(dlg); // inside the page's root: its colours and fonts
  dlg.showModal();
  no.focus();
}

// Runs a change; on success reloads the booking (can_cancel and cancel_until change with it) and says so.
async function act(call, flash) {
  S.busy = true;
  S.actionError = null;
  try {
    const r = await call();
    S.data = await api.get('/v1/manage/booking' + q());
    S.flash = typeof flash === 'function' ? flash(r.booking) : flash;
    S.view = 'booking';
    S.pick = null;
  } catch (e) {
    const msg = say(e);
    if (msg == null) return fail(e);
    S.actionError = msg;
    if (e.code === 'slot_unavailable') return loadSlots(S.day, msg);
  } finally {
    S.busy = false;
  }
  render();
  (document.getElementById('flash') || document.getElementById('action-error'))?.focus();
}

// ---- reschedule ----

function openReschedule() {
  const b = S.data.booking;
  const first = today(b.timezone || S.data.business.timezone);
  const day = local(b.start).day;
  S.view = 'reschedule';
  S.anyPro = false;
  S.flash = null;
  S.actionError = null;
  S.pick = null;
  loadSlots(day < first ? first : day);
  document.getElementById('day')?.focus();
}

async function loadSlots(day, keepError) {
  S.day = day;
  S.slots = null;
  S.slotsErr = null;
  S.pick = null;
  if (!keepError) S.actionError = null;
  const n = ++slotsReq;
  render();
  try {
    const r = await api.get('/v1/manage/slots' + q({ date: day, provider_id: S.anyPro ? 'any' : null }));
    if (n !== slotsReq) return;
    S.slots = r.slots;
  } catch (e) {
    if (n !== slotsReq) return;
    const msg = say(e);
    if (msg == null) return fail(e);
    S.slotsErr = msg;
  }
  const focused = document.activeElement && document.activeElement.id;
  render();
  if (focused) document.getElementById(focused)?.focus();
}

function rescheduleView(d) {
  const b = d.booking;
  const zone = b.timezone || d.business.timezone;
  const first = today(zone);
  const input = h('input', { type: 'date', id: 'day', class: 'input', value: S.day, min: first, required: true });
  input.addEventListener('change', () => input.value && loadSlots(input.value < first ? first : input.value));
  const step = (n, label, name) =>
    h('button', { class: 'tool', type: 'button', 'aria-label': label, title: label, id: name, disabled: n < 0 && S.day <= first, onclick: () => loadSlots(addDays(S.day, n)) }, icon(name));
  let list;
  if (S.slotsErr) list = h('p', { class: 'error', role: 'alert', text: S.slotsErr });
  else if (!S.slots) list = h('p', { class: 'muted', role: 'status', text: t('loadingSlots') });
  else if (!S.slots.length) list = h('p', { class: 'muted', role: 'status', text: t('noSlots') });
  else
    list = h(
      'div',
      { class: 'chips', role: 'group', 'aria-labelledby': 'slots-label' },
      S.slots.map((s) => {
        const time = local(s.start).time;
        const current = s.start === b.start && s.provider_id === b.provider_id;
        const on = S.pick && S.pick.start === s.start;
        return h('button', {
          class: 'chip' + (on ? ' on' : ''),
          type: 'button',
          'aria-pressed': on ? 'true' : 'false',
          disabled: current,
          'aria-label': current ? t('current', { time }) : null,
          text: time,
          onclick: () => choose(s),
        });
      }),
    );
  const who = h('select', { id: 'who', class: 'input' }, h('option', { value: 'same', text: t('samePro', { name: b.provider_name }), selected: !S.anyPro }), h('option', { value: 'any', text: t('anyPro'), selected: S.anyPro }));
  who.addEventListener('change', () => {
    S.anyPro = who.value === 'any';
    loadSlots(S.day);
  });
  return h(
    'section',
    { class: 'picker', 'aria-labelledby': 'pick-title' },
    h('h2', { id: 'pick-title', text: t('pickDate') }),
    h('div', { class: 'pro-pick' }, h('label', { for: 'who', text: t('provider') }), who),
    h('div', { class: 'day' }, h('label', { for: 'day', class: 'sr', text: t('date') }), step(-1, t('prevDay'), 'prev'), input, step(1, t('nextDay'), 'next')),
    h('p', { class: 'dayname', text: fmtDay(S.day, fmtLang()) }),
    h('h3', { id: 'slots-label', text: t('slots') }),
    list,
    S.pick && h('p', { class: 'summary', role: 'status', text: t('newTime', { when: whenMid(S.pick.start) }) }),
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'btn primary', type: 'button', id: 'confirm-move', disabled: !S.pick || S.busy, onclick: confirmMove }, t('confirmMove')),
      h('button', { class: 'btn', type: 'button', id: 'back', onclick: closeReschedule }, t('back')),
    ),
  );
}

function choose(s) {
  S.pick = s;
  S.actionError = null;
  render();
  document.querySelector('.chip.on')?.focus();
}

function closeReschedule() {
  S.view = 'booking';
  S.pick = null;
  S.actionError = null;
  render();
  document.getElementById('reschedule')?.focus();
}

function confirmMove() {
  const s = S.pick;
  if (!s || S.busy) return;
  act(() => api.post('/v1/manage/booking/reschedule', { token: manageToken, start: s.start, provider_id: s.provider_id }), (b) => t('moved', { when: whenMid(b.start) }));
}

load();

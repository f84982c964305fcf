// Bookings: a day calendar (one column per professional), a week calendar (one column per day) and a
// list with filters; create a booking on behalf of a customer (free times from GET /v1/admin/availability),
// open one to change its status, reschedule or cancel it, or download it as .ics. Route parameters:
// view=day|week|list, date=YYYY-MM-DD, provider=ID, status=…, from/to (list), new=1 (open the form).
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, dialog, empty, pageHeader, spinner, table, toast, rowLink, describe } from '../../shared/ui.js';
import { addDays, daysBetween, fmtDay, fmtInstant, hhmm, local, minutesOf, today, weekStart, weekday } from '../../shared/format.js';
import { catalog, colorOf, statusBadge } from './common.js';

const HOUR_PX = 56;
const STATUSES = ['confirmed', 'completed', 'no_show', 'cancelled'];

export default {
  async render(ctx) {
    const { t, api, tz, lang, params } = ctx;
    const view = ['day', 'week', 'list'].includes(params.get('view')) ? params.get('view') : window.innerWidth < 720 ? 'day' : 'week';
    const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') || '') ? params.get('date') : today(tz);
    const provider = params.get('provider') || '';
    const cat = await catalog(api);
    if (!ctx.current()) return;
    const pros = cat.providers.filter((p) => p.active !== false || p.id === provider);
    const nav = (over) => ctx.go('bookings', { view, date, provider, status: params.get('status'), from: params.get('from'), to: params.get('to'), ...over });

    // the range shown
    let from, to;
    if (view === 'day') from = to = date;
    else if (view === 'week') (from = weekStart(date)), (to = addDays(from, 6));
    else {
      from = params.get('from') || date;
      to = params.get('to') || addDays(from, 30);
      if (to < from) to = from;
    }
    const step = view === 'day' ? 1 : view === 'week' ? 7 : daysBetween(from, to) + 1;

    const rangeLabel =
      view === 'day'
        ? fmtDay(date, lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
        : `${fmtDay(from, lang, { day: 'numeric', month: 'short' })} – ${fmtDay(to, lang, { day: 'numeric', month: 'short', year: 'numeric' })}`;

    const views = h(
      'div',
      { class: 'seg view-switch', role: 'group', 'aria-label': t('bookings.view') },
      ['day', 'week', 'list'].map((v) => h('button', { type: 'button', 'aria-pressed': String(v === view), text: t('bookings.view.' + v), onclick: () => nav({ view: v }) })),
    );
    const shift = (n) => (view === 'list' ? nav({ from: addDays(from, n * step), to: addDays(to, n * step), date: addDays(from, n * step) }) : nav({ date: addDays(date, n * step) }));
    const stepper = h(
      'div',
      { class: 'stepper' },
      h('button', { class: 'btn btn-secondary btn-sm btn-icon', type: 'button', 'aria-label': t('bookings.prev'), title: t('bookings.prev'), onclick: () => shift(-1) }, icon('prev')),
      h('button', { class: 'btn btn-secondary btn-sm', type: 'button', text: t('bookings.today'), onclick: () => nav({ date: today(tz), from: null, to: null }) }),
      h('button', { class: 'btn btn-secondary btn-sm btn-icon', type: 'button', 'aria-label': t('bookings.next'), title: t('bookings.next'), onclick: () => shift(1) }, icon('next')),
      h('strong', { class: 'range-label', text: rangeLabel }),
    );
    const proFilter = h(
      'select',
      { 'aria-label': t('bookings.professional'), class: 'pro-filter', onchange: (e) => nav({ provider: e.target.value }) },
      h('option', { value: '', text: t('bookings.allPros') }),
      pros.map((p) => h('option', { value: p.id, text: p.name, selected: p.id === provider })),
    );
    const filters = [proFilter];
    if (view === 'list') {
      filters.push(
        h(
          'select',
          { 'aria-label': t('bookings.status'), onchange: (e) => nav({ status: e.target.value }) },
          h('option', { value: '', text: t('bookings.allStatuses') }),
          STATUSES.map((s) => h('option', { value: s, text: t('status.' + s), selected: params.get('status') === s })),
        ),
        h('input', { type: 'date', value: from, 'aria-label': t('bookings.from'), onchange: (e) => e.target.value && nav({ from: e.target.value, date: e.target.value }) }),
        h('input', { type: 'date', value: to, 'aria-label': t('bookings.to'), onchange: (e) => e.target.value && nav({ to: e.target.value }) }),
      );
    }

    const body = h('div', { class: 'bookings-body' }, spinner());
    const newBtn = ctx.can.write && button(t('bookings.new'), { kind: 'primary', ico: 'plus', onclick: () => openForm(ctx, cat, { date: view === 'list' ? today(tz) : view === 'week' && date < from ? from : date, provider_id: provider }, reload) });
    mount(ctx.main, pageHeader(t('nav.bookings'), null, newBtn), h('div', { class: 'toolbar' }, views, stepper, h('div', { class: 'grow' }), filters), body);

    async function reload() {
      const q = { from, to };
      if (provider) q.provider_id = provider;
      if (view === 'list' && params.get('status')) q.status = params.get('status');
      // busy times from the professionals' own calendars (docs/calendars.md): greyed blocks, never fatal
      const busyOf = () => api.get('/v1/admin/busy', { from, to, provider_id: provider }).then((r) => r.items, () => []);
      const [items, hours, busy] = await Promise.all([api.all('/v1/admin/bookings', q), view === 'list' ? null : weeklyHours(api, pros), view === 'list' ? [] : busyOf()]);
      if (!ctx.current()) return;
      const open = (b) => showBooking(ctx, cat, b, reload);
      if (view === 'list') mount(body, listView(ctx, items, open));
      else mount(body, calendar(ctx, { view, from, to, date, items, hours, busy, pros: provider ? pros.filter((p) => p.id === provider) : pros, all: cat.providers, cat, open, reload }));
    }
    await reload();
    if (params.get('new') && ctx.can.write) openForm(ctx, cat, { date, provider_id: provider }, reload);
  },
};

async function weeklyHours(api, pros) {
  const out = {};
  await Promise.all(pros.map(async (p) => (out[p.id] = (await api.get(`/v1/admin/providers/${p.id}/availability`)).weekly || [])));
  return out;
}

function listView(ctx, items, open) {
  const { t, lang } = ctx;
  if (!items.length) return card(null, empty('calendar', t('bookings.none'), t('bookings.noneText')));
  return card(
    null,
    table(
      [
        { label: t('bookings.when'), cls: 'lead', cell: (b) => h('div', {}, h('span', { class: 'cell-main' }, rowLink(`${fmtDay(local(b.start).day, lang, { weekday: 'short', day: 'numeric', month: 'short' })} · ${local(b.start).time}`, () => open(b))), h('span', { class: 'cell-sub', text: `${local(b.start).time}–${local(b.end).time}` })) },
        { label: t('bookings.customer'), cell: (b) => h('div', {}, h('span', { class: 'cell-main', text: b.customer ? b.customer.name : '—' }), h('span', { class: 'cell-sub', text: (b.customer && (b.customer.email || b.customer.phone)) || '' })) },
        { label: t('bookings.service'), cell: (b) => b.service_name },
        { label: t('bookings.professional'), cell: (b) => b.provider_name },
        { label: t('bookings.status'), cell: (b) => statusBadge(t, b.status) },
        { label: t('bookings.code'), cls: 'mono', cell: (b) => b.code },
      ],
      items,
      { onRow: open, rowClass: (b) => (b.status === 'cancelled' ? 'dim' : null), caption: t('nav.bookings') },
    ),
    { cls: 'flush list-card' },
  );
}

// The calendar grid: columns are the week's days or (day view) the professionals.
function calendar(ctx, { view, from, date, items, hours, busy = [], pros, all, cat, open, reload }) {
  const { t, lang, tz } = ctx;
  let days = view === 'day' ? [date] : Array.from({ length: 7 }, (_, i) => addDays(from, i));
  const byDay = (d) => items.filter((b) => local(b.start).day === d);
  const workedOn = (d, ids) => ids.some((id) => (hours[id] || []).some((w) => w.weekday === weekday(d)));
  if (view === 'week') days = days.filter((d) => weekday(d) <= 5 || workedOn(d, pros.map((p) => p.id)) || byDay(d).length);

  // the hours shown: the working hours of the week, widened to the bookings; 08:00–20:00 by default
  let lo = Infinity, hi = -Infinity;
  for (const p of pros) for (const w of hours[p.id] || []) (lo = Math.min(lo, minutesOf(w.start))), (hi = Math.max(hi, minutesOf(w.end)));
  for (const b of items) (lo = Math.min(lo, local(b.start).minutes)), (hi = Math.max(hi, local(b.end).minutes || 1440));
  if (!isFinite(lo)) (lo = 8 * 60), (hi = 20 * 60);
  lo = Math.floor(lo / 60) * 60;
  hi = Math.min(1440, Math.ceil(hi / 60) * 60);
  if (hi - lo < 240) hi = Math.min(1440, lo + 240);
  const px = (m) => ((m - lo) / 60) * HOUR_PX;

  const cols =
    view === 'day'
      ? pros.map((p) => ({ key: p.id, day: date, pros: [p.id], label: p.name, color: colorOf(all, p.id), items: items.filter((b) => b.provider_id === p.id) }))
      : days.map((d) => ({ key: d, day: d, pros: pros.map((p) => p.id), label: fmtDay(d, lang, { weekday: 'short' }), sub: fmtDay(d, lang, { day: 'numeric', month: 'short' }), items: byDay(d), today: d === today(tz) }));
  if (!cols.length) return card(null, empty('pro', t('bookings.noPros'), t('bookings.noProsText'), ctx.can.write && h('a', { class: 'btn btn-primary btn-sm', href: '#/professionals' }, t('pros.new'))));

  const now = new Date();
  const nowDay = today(tz);
  const nowMin = (() => {
    const p = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now);
    return minutesOf(p);
  })();

  const head = h(
    'div',
    { class: 'cal-head' },
    h('div', { class: 'cal-corner' }),
    cols.map((c) => h('div', { class: ['cal-colhead', c.today && 'is-today'] }, c.color && h('span', { class: 'dot', style: { background: c.color } }), h('strong', { text: c.label }), c.sub && h('span', { text: c.sub }))),
  );
  const times = h('div', { class: 'cal-times' }, Array.from({ length: (hi - lo) / 60 }, (_, i) => h('span', { style: { top: px(lo + i * 60) + 'px' }, text: hhmm(lo + i * 60) })));
  const columns = cols.map((c) => {
    const col = h('div', { class: ['cal-col', c.today && 'is-today'], dataset: { day: c.day }, style: { height: px(hi) + 'px' } });
    // working hours: white on the grey of closed time
    for (const id of c.pros)
      for (const w of (hours[id] || []).filter((w) => w.weekday === weekday(c.day)))
        col.append(h('div', { class: 'cal-open', style: { top: px(minutesOf(w.start)) + 'px', height: px(minutesOf(w.end)) - px(minutesOf(w.start)) + 'px' } }));
    // busy times of the professionals' own calendars: greyed blocks under the bookings, clipped to the day
    for (const bz of busy.filter((x) => c.pros.includes(x.provider_id))) {
      const f = local(bz.from), u = local(bz.to);
      if (f.day > c.day || u.day < c.day || (u.day === c.day && u.minutes === 0)) continue;
      const s = Math.max(lo, f.day < c.day ? 0 : f.minutes), e = Math.min(hi, u.day > c.day ? 1440 : u.minutes);
      if (e <= s) continue;
      const who = view === 'week' && c.pros.length > 1 ? (pros.find((p) => p.id === bz.provider_id) || {}).name : '';
      col.append(
        h('div', {
          class: 'cal-busy',
          dataset: { provider: bz.provider_id },
          style: { top: px(s) + 'px', height: px(e) - px(s) - 1 + 'px' },
          title: `${t('bookings.busyOwn')}${who ? ' · ' + who : ''} · ${f.time}–${u.time}`,
          text: who ? `${t('bookings.busyOwn')} · ${who}` : t('bookings.busyOwn'),
        }),
      );
    }
    // overlapping bookings share the column's width in lanes
    const evs = c.items.map((b) => ({ b, s: local(b.start).minutes, e: local(b.end).minutes || 1440 })).sort((x, y) => x.s - y.s || x.e - y.e);
    let group = [], groupEnd = -1;
    const flush = () => {
      const lanes = [];
      for (const ev of group) {
        let i = lanes.findIndex((end) => end <= ev.s);
        if (i < 0) (i = lanes.length), lanes.push(0);
        lanes[i] = ev.e;
        ev.lane = i;
      }
      for (const ev of group) ev.lanes = lanes.length;
      group = [];
    };
    for (const ev of evs) {
      if (ev.s >= groupEnd) flush();
      group.push(ev);
      groupEnd = Math.max(groupEnd, ev.e);
    }
    flush();
    for (const ev of evs) {
      const b = ev.b;
      const color = colorOf(all, b.provider_id);
      const top = px(ev.s), height = Math.max(px(ev.e) - top, 22);
      col.append(
        h(
          'button',
          {
            type: 'button',
            class: ['cal-ev', 'st-' + b.status, height < 40 && 'short'],
            dataset: { code: b.code, id: b.id },
            style: { top: top + 'px', height: height - 2 + 'px', left: `calc(${(ev.lane / ev.lanes) * 100}% + 2px)`, width: `calc(${100 / ev.lanes}% - 4px)`, '--c': color },
            title: `${local(b.start).time}–${local(b.end).time} · ${b.customer ? b.customer.name : ''} · ${b.service_name} · ${b.provider_name} · ${t('status.' + b.status)}`,
            onclick: (e) => (e.stopPropagation(), open(b)),
          },
          h('span', { class: 'ev-time', text: `${local(b.start).time}` }),
          h('span', { class: 'ev-name', text: b.customer ? b.customer.name : '—' }),
          h('span', { class: 'ev-sub', text: view === 'day' ? b.service_name : `${b.service_name} · ${b.provider_name}` }),
        ),
      );
    }
    if (c.day === nowDay && nowMin >= lo && nowMin <= hi) col.append(h('div', { class: 'cal-now', style: { top: px(nowMin) + 'px' }, 'aria-hidden': 'true' }));
    if (ctx.can.write)
      col.addEventListener('click', (e) => {
        if (e.target.closest('.cal-ev')) return;
        const y = e.clientY - col.getBoundingClientRect().top;
        const m = lo + Math.floor((y / HOUR_PX) * 4) * 15;
        openForm(ctx, cat, { date: c.day, provider_id: view === 'day' ? c.key : '', time: hhmm(m) }, reload);
      });
    return col;
  });
  const legend =
    view === 'week' && pros.length > 1
      ? h(
          'div',
          { class: 'cal-legend' },
          pros.map((p) => h('span', {}, h('span', { class: 'dot', style: { background: colorOf(all, p.id) } }), p.name)),
        )
      : null;
  const grid = h('div', { class: 'cal', style: { '--cols': String(cols.length) } }, head, h('div', { class: 'cal-body' }, times, columns));
  const none = !items.length ? h('p', { class: 'cal-none muted', text: view === 'day' ? t('bookings.noneDay') : t('bookings.noneWeek') }) : null;
  return h('div', { class: ['cal-wrap', 'view-' + view] }, legend, none, h('div', { class: 'card flush cal-card' }, h('div', { class: 'cal-scroll' }, grid)));
}

// One booking: its details, and (for staff who may) status, reschedule, cancel.
function showBooking(ctx, cat, b, reload) {
  const { t, api, lang, tz } = ctx;
  const l = local(b.start);
  const row = (label, value) => value && h('div', { class: 'detail' }, h('dt', { text: label }), h('dd', {}, value));
  const contact = b.customer ? [b.customer.email && h('a', { href: 'mailto:' + b.customer.email, text: b.customer.email }), b.customer.email && b.customer.phone ? ' · ' : '', b.customer.phone && h('a', { href: 'tel:' + b.customer.phone.replace(/\s+/g, ''), text: b.customer.phone })] : null;
  const body = h(
    'div',
    { class: 'booking-detail' },
    h('div', { class: 'booking-when' }, h('span', { class: 'big', text: `${l.time}–${local(b.end).time}` }), h('span', { text: fmtDay(l.day, lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }) }), statusBadge(t, b.status)),
    h(
      'dl',
      { class: 'details' },
      row(t('bookings.service'), b.service_name),
      row(t('bookings.professional'), b.provider_name),
      row(t('bookings.contact'), contact && contact.filter(Boolean).length ? contact : '—'),
      row(t('bookings.code'), h('span', { class: 'mono', text: b.code })),
      b.notes && row(t('bookings.notes'), b.notes),
      row(t('bookings.source'), t('source.' + (b.source || 'admin'))),
      row(t('bookings.createdAt'), fmtInstant(b.created_at, lang, tz)),
    ),
  );
  let statusBox = null;
  if (ctx.can.write && b.status !== 'cancelled') {
    statusBox = h(
      'div',
      { class: 'status-box' },
      h('span', { class: 'label', text: t('bookings.markAs') }),
      h(
        'div',
        { class: 'seg' },
        ['confirmed', 'completed', 'no_show'].map((s) =>
          h('button', {
            type: 'button',
            'aria-pressed': String(b.status === s),
            text: t('status.' + s),
            onclick: async () => {
              if (b.status === s) return;
              try {
                await api.patch(`/v1/admin/bookings/${b.id}`, { status: s });
                toast(t('bookings.statusChanged', { status: t('status.' + s) }));
                d.close();
                reload();
              } catch (e) {
                d.error(e);
              }
            },
          }),
        ),
      ),
    );
    body.append(statusBox);
  }
  const actions = [];
  if (ctx.can.write && b.status !== 'cancelled')
    actions.push({
      label: t('bookings.cancel'),
      kind: 'danger',
      icon: 'ban',
      onClick: async () => {
        if (!(await confirm({ title: t('bookings.cancelTitle'), text: t('bookings.cancelText', { name: b.customer ? b.customer.name : '', when: `${fmtDay(l.day, lang)} ${l.time}` }), confirmLabel: t('bookings.cancel'), danger: true }))) return false;
        await api.patch(`/v1/admin/bookings/${b.id}`, { status: 'cancelled' });
        toast(t('bookings.cancelled'));
        reload();
      },
    });
  actions.push({
    label: t('bookings.ics'),
    icon: 'download',
    onClick: async () => {
      const res = await api.call('GET', `/v1/admin/bookings/${b.id}/ics`, undefined, { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: `${b.code}.ics` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 5000);
      return false;
    },
  });
  if (ctx.can.write && b.status !== 'cancelled')
    actions.push({ label: t('bookings.reschedule'), kind: 'primary', icon: 'clock', onClick: () => (openForm(ctx, cat, { booking: b, date: l.day, provider_id: b.provider_id }, reload), true) });
  const d = dialog({ title: b.customer ? b.customer.name : t('bookings.booking'), body, actions, cls: 'booking-dialog' });
}

// Create a booking, or move one (booking given): service, professional, day, a free time, the customer.
function openForm(ctx, cat, { booking, date, provider_id, time }, reload) {
  const { t, api, lang } = ctx;
  const moving = !!booking;
  const services = cat.services.filter((s) => s.active !== false || (booking && s.id === booking.service_id));
  if (!services.length) {
    toast(t('bookings.needService'), 'error');
    return;
  }
  const state = { service: booking ? booking.service_id : services[0].id, provider: provider_id || 'any', date: date, slot: null };
  const svcSel = h('select', { id: 'bk-service', required: true, disabled: moving }, services.map((s) => h('option', { value: s.id, text: `${s.name} · ${s.duration_min} min`, selected: s.id === state.service })));
  const proSel = h('select', { id: 'bk-provider' });
  const dateIn = h('input', { id: 'bk-date', type: 'date', required: true, value: state.date });
  const slotsBox = h('div', { class: 'slots', role: 'radiogroup', 'aria-labelledby': 'bk-slots-l' });
  const fillPros = () => {
    const offer = cat.providers.filter((p) => p.active !== false && (p.service_ids || []).includes(state.service));
    if (state.provider !== 'any' && !offer.some((p) => p.id === state.provider)) state.provider = 'any';
    mount(proSel, h('option', { value: 'any', text: t('bookings.anyPro'), selected: state.provider === 'any' }), offer.map((p) => h('option', { value: p.id, text: p.name, selected: p.id === state.provider })));
  };
  let seq = 0;
  async function loadSlots() {
    const my = ++seq;
    state.slot = null;
    mount(slotsBox, spinner(t('bookings.finding')));
    try {
      const r = await api.get('/v1/admin/availability', { service_id: state.service, provider_id: state.provider, from: state.date, to: state.date });
      if (my !== seq) return;
      const seen = new Set();
      const slots = r.slots.filter((s) => !seen.has(s.start) && seen.add(s.start));
      if (!slots.length) return mount(slotsBox, h('p', { class: 'muted slots-none', text: t('bookings.noSlots') }));
      const buttons = slots.map((s) =>
        h('button', {
          type: 'button',
          class: 'slot',
          role: 'radio',
          'aria-checked': 'false',
          text: local(s.start).time,
          onclick: (e) => {
            state.slot = s;
            for (const x of slotsBox.querySelectorAll('.slot')) x.setAttribute('aria-checked', String(x === e.currentTarget));
          },
        }),
      );
      mount(slotsBox, buttons);
      if (time) {
        const i = slots.findIndex((s) => local(s.start).time >= time);
        if (i >= 0) buttons[i].click(), buttons[i].scrollIntoView({ block: 'nearest' });
        time = null;
      }
    } catch (e) {
      if (my === seq) mount(slotsBox, h('p', { class: 'muted', text: describe(e) }));
    }
  }
  svcSel.addEventListener('change', () => ((state.service = svcSel.value), fillPros(), loadSlots()));
  proSel.addEventListener('change', () => ((state.provider = proSel.value), loadSlots()));
  dateIn.addEventListener('change', () => dateIn.value && ((state.date = dateIn.value), loadSlots()));
  fillPros();

  const name = h('input', { id: 'bk-name', type: 'text', required: true, autocomplete: 'off', maxlength: 120 });
  const email = h('input', { id: 'bk-email', type: 'email', autocomplete: 'off' });
  const phone = h('input', { id: 'bk-phone', type: 'tel', autocomplete: 'off' });
  const notes = h('textarea', { id: 'bk-notes', rows: 2, maxlength: 1000 });
  const fld = (id, label, control, wide) => h('div', { class: ['field', wide && 'wide'] }, h('label', { for: id, text: label }), control);
  const body = h(
    'div',
    { class: 'booking-form' },
    moving && h('p', { class: 'alert alert-info moving' }, icon('info'), h('span', { text: t('bookings.moving', { name: booking.customer ? booking.customer.name : '', when: `${fmtDay(local(booking.start).day, lang)} ${local(booking.start).time}` }) })),
    h('div', { class: 'form-grid' }, fld('bk-service', t('bookings.service'), svcSel, true), fld('bk-provider', t('bookings.professional'), proSel), fld('bk-date', t('bookings.day'), dateIn)),
    h('div', { class: 'field slots-field' }, h('span', { class: 'label', id: 'bk-slots-l', text: t('bookings.time') }), slotsBox),
    !moving && h('div', { class: 'form-grid customer' }, fld('bk-name', t('bookings.customerName') + ' *', name, true), fld('bk-email', t('bookings.email'), email), fld('bk-phone', t('bookings.phone'), phone), fld('bk-notes', t('bookings.notes'), notes, true)),
  );
  dialog({
    title: moving ? t('bookings.rescheduleTitle') : t('bookings.newTitle'),
    body,
    wide: true,
    cls: 'booking-form-dialog',
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: moving ? t('bookings.move') : t('bookings.create'),
        kind: 'primary',
        submit: true,
        onClick: async (d) => {
          if (!state.slot) {
            d.error(t('bookings.pickTime'));
            return false;
          }
          if (moving) {
            await api.patch(`/v1/admin/bookings/${booking.id}`, { start: state.slot.start, provider_id: state.slot.provider_id });
            toast(t('bookings.moved'));
          } else {
            const customer = { name: name.value.trim() };
            if (email.value.trim()) customer.email = email.value.trim();
            if (phone.value.trim()) customer.phone = phone.value.trim();
            const body = { service_id: state.service, provider_id: state.slot.provider_id, start: state.slot.start, customer };
            if (notes.value.trim()) body.notes = notes.value.trim();
            const r = await api.post('/v1/admin/bookings', body);
            toast(t('bookings.created', { code: r.booking.code }));
          }
          const d2 = local(state.slot.start).day;
          const p = ctx.params;
          if (p.get('view') !== 'list' && p.get('date') !== d2 && !p.get('new')) ctx.go('bookings', { view: p.get('view'), date: d2, provider: p.get('provider') });
          else if (p.get('new')) ctx.go('bookings', { view: p.get('view'), date: d2 });
          else reload();
        },
      },
    ],
  });
  loadSlots();
}

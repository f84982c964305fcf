// Professionals: who does what (services), their own time zone if it differs, their weekly hours
// (an editor of intervals per weekday, PUT /v1/admin/providers/{id}/availability), and their calendars
// (the subscription feed and the external calendars, calendars.js). Creating one past the
// plan's number of professionals is refused by the API (409 plan_limit_exceeded) and said so here.
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, dialog, empty, pageHeader, toast } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { addDays, fmtDay, minutesOf, zones } from '../../shared/format.js';
import { catalog, colorOf, initials, viewOnly } from './common.js';
import { calendarDialog } from './calendars.js';

// 2026-11-30 is a Monday: weekday n (1 = Monday) is n - 1 days later, for day names in the page's language.
const dayName = (n, lang, style = 'long') => fmtDay(addDays('2026-11-30', n - 1), lang, { weekday: style });

export default {
  async render(ctx) {
    const { t, api, lang, me } = ctx;
    const cat = await catalog(api);
    const hours = {};
    await Promise.all(cat.providers.map(async (p) => (hours[p.id] = (await api.get(`/v1/admin/providers/${p.id}/availability`)).weekly || [])));
    if (!ctx.current()) return;
    const limit = me.limits && me.limits.providers;
    const active = cat.providers.filter((p) => p.active !== false).length;
    const full = limit != null && cat.providers.length >= limit;
    const newBtn = ctx.can.write && button(t('pros.new'), { kind: 'primary', ico: 'plus', onclick: () => edit(ctx, cat, null) });
    mount(ctx.main, 
      pageHeader(t('nav.professionals'), limit != null ? t('pros.leadLimit', { n: active, max: limit }) : t('pros.lead'), newBtn),
      ctx.can.write ? null : viewOnly(t),
      full && ctx.can.write ? h('div', { class: 'alert alert-warn' }, icon('info'), h('p', { text: t('pros.full', { max: limit, plan: me.tenant.plan }) })) : null,
      cat.providers.length
        ? h(
            'div',
            { class: 'pro-grid' },
            cat.providers.map((p) =>
              h(
                'article',
                { class: ['card', 'pro-card', p.active === false && 'inactive'], dataset: { id: p.id } },
                h(
                  'header',
                  { class: 'pro-head' },
                  h('span', { class: 'avatar', style: { background: colorOf(cat.providers, p.id) }, 'aria-hidden': 'true', text: initials(p.name) }),
                  h('div', { class: 'grow' }, h('h2', { text: p.name }), h('p', { class: 'muted small', text: p.email || (p.timezone ? p.timezone : t('pros.businessTz')) })),
                  p.active === false ? badge(t('ui.hidden'), 'neutral') : badge(t('ui.active'), 'ok'),
                ),
                h('div', { class: 'pro-services' }, (p.service_ids || []).map((id) => cat.service(id)).filter(Boolean).map((s) => h('span', { class: 'chip', text: s.name })), !(p.service_ids || []).length && h('span', { class: 'muted small', text: t('pros.noServices') })),
                h('div', { class: 'pro-hours' }, icon('clock'), h('div', {}, summary(hours[p.id], lang, t).map((line) => h('div', { text: line })))),
                h(
                  'footer',
                  { class: 'pro-foot' },
                  button(ctx.can.write ? t('pros.hours') : t('pros.seeHours'), { small: true, ico: 'clock', onclick: () => editHours(ctx, p, hours[p.id]) }),
                  button(t('cal.button'), { small: true, kind: 'ghost', ico: 'calendar', attrs: { dataset: { action: 'calendar' } }, onclick: () => calendarDialog(ctx, p) }),
                  button(ctx.can.write ? t('ui.edit') : t('ui.details'), { small: true, kind: 'ghost', ico: ctx.can.write ? 'edit' : 'eye', onclick: () => edit(ctx, cat, p) }),
                ),
              ),
            ),
          )
        : card(null, empty('pro', t('pros.none'), t('pros.noneText'), newBtn)),
    );
  },
};

// "Mon–Fri 09:00–14:00, 16:00–20:00" lines: consecutive days with the same hours are grouped.
function summary(weekly, lang, t) {
  if (!weekly || !weekly.length) return [t('pros.noHours')];
  const per = {};
  for (let d = 1; d <= 7; d++)
    per[d] = weekly
      .filter((w) => w.weekday === d)
      .sort((a, b) => a.start.localeCompare(b.start))
      .map((w) => `${w.start}–${w.end}`)
      .join(', ');
  const lines = [];
  let d = 1;
  while (d <= 7) {
    if (!per[d]) {
      d++;
      continue;
    }
    let e = d;
    while (e < 7 && per[e + 1] === per[d]) e++;
    const days = d === e ? dayName(d, lang, 'short') : `${dayName(d, lang, 'short')}–${dayName(e, lang, 'short')}`;
    lines.push(`${days} ${per[d]}`);
    d = e + 1;
  }
  return lines;
}

function edit(ctx, cat, p) {
  const { t, api, me } = ctx;
  const ro = !ctx.can.write;
  const f = form(
    [
      { name: 'name', label: t('pros.name'), required: true, maxlength: 120, wide: true },
      { name: 'email', label: t('pros.email'), type: 'email' },
      { name: 'timezone', label: t('pros.timezone'), type: 'select', options: [{ value: '', label: t('pros.businessTzIs', { tz: me.tenant.timezone }) }, ...zones(p && p.timezone).map((z) => ({ value: z, label: z }))] },
      { name: 'service_ids', label: t('pros.services'), type: 'checks', wide: true, options: cat.services.map((s) => ({ value: s.id, label: s.name })), none: t('pros.noCatalog') },
      { name: 'bio', label: t('pros.bio'), type: 'textarea', wide: true, rows: 2, maxlength: 1000 },
      { name: 'synonyms', label: t('pros.synonyms'), type: 'lines', wide: true, rows: 2, hint: t('pros.synonymsHint') },
      { name: 'active', label: t('pros.active'), type: 'checkbox', wide: true, hint: t('pros.activeHint') },
    ],
    { active: true, service_ids: p ? p.service_ids : cat.services.map((s) => s.id), ...(p || {}), timezone: (p && p.timezone) || '' },
    { readOnly: ro, t },
  );
  const actions = [];
  if (ro) actions.push({ label: t('ui.close') });
  else {
    if (p)
      actions.push({
        label: t('ui.delete'),
        kind: 'danger',
        icon: 'trash',
        onClick: async () => {
          if (!(await confirm({ title: t('pros.deleteTitle'), text: t('pros.deleteText', { name: p.name }), confirmLabel: t('ui.delete'), danger: true }))) return false;
          await api.del(`/v1/admin/providers/${p.id}`);
          toast(t('pros.deleted'));
          ctx.refresh();
        },
      });
    actions.push(
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: p ? t('ui.save') : t('pros.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          if (v.timezone == null) v.timezone = null;
          if (p) await api.patch(`/v1/admin/providers/${p.id}`, v);
          else {
            const created = (await api.post('/v1/admin/providers', v)).provider;
            toast(t('pros.created', { name: created.name }));
            ctx.refresh();
            editHours(ctx, created, []);
            return;
          }
          toast(t('ui.saved'));
          ctx.refresh();
        },
      },
    );
  }
  dialog({ title: p ? p.name : t('pros.new'), body: f.el, actions, wide: true, cls: 'pro-dialog' });
}

// The weekly hours editor: per weekday, open or closed, and one or more intervals.
function editHours(ctx, p, weekly) {
  const { t, api, lang } = ctx;
  const ro = !ctx.can.write;
  const rows = {};
  const grid = h('div', { class: 'hours' });
  for (let d = 1; d <= 7; d++) {
    const mine = (weekly || []).filter((w) => w.weekday === d).sort((a, b) => a.start.localeCompare(b.start));
    const list = h('div', { class: 'hours-intervals' });
    const open = h('input', { type: 'checkbox', checked: mine.length > 0, disabled: ro, id: `hours-open-${d}` });
    const closedLabel = h('span', { class: 'muted closed', text: t('pros.closed') });
    const addBtn = button(t('pros.addInterval'), { small: true, kind: 'ghost', ico: 'plus', onclick: () => addInterval() });
    const row = { d, open, list, add: () => addInterval() };
    const interval = (start, end) => {
      const s = h('input', { type: 'time', value: start, required: true, step: 300, 'aria-label': `${dayName(d, lang)} ${t('pros.from')}` });
      const e = h('input', { type: 'time', value: end, required: true, step: 300, 'aria-label': `${dayName(d, lang)} ${t('pros.to')}` });
      const it = h('div', { class: 'interval' }, s, h('span', { class: 'dash', text: '–' }), e, h('button', { class: 'btn btn-ghost btn-sm btn-icon', type: 'button', 'aria-label': t('pros.removeInterval'), title: t('pros.removeInterval'), onclick: () => (it.remove(), sync()) }, icon('close')));
      it.read = () => ({ weekday: d, start: s.value, end: e.value });
      return it;
    };
    const addInterval = () => {
      const last = [...list.children].pop();
      const prev = last && last.read();
      const start = prev && prev.end ? hh(minutesOf(prev.end) + 60) : '09:00';
      const end = hh(Math.min(minutesOf(start) + 240, 23 * 60 + 55));
      list.append(interval(start, end));
      sync();
    };
    const sync = () => {
      if (open.checked && !list.children.length) list.append(interval('09:00', '14:00'));
      list.hidden = !open.checked;
      addBtn.hidden = !open.checked || ro;
      closedLabel.hidden = open.checked;
      if (!open.checked) list.replaceChildren();
    };
    open.addEventListener('change', sync);
    for (const w of mine) list.append(interval(w.start, w.end));
    row.read = () => (open.checked ? [...list.children].map((c) => c.read()) : []);
    rows[d] = row;
    if (ro) {
      grid.append(h('div', { class: 'hours-row' }, h('span', { class: 'hours-day', text: dayName(d, lang) }), h('span', { class: mine.length ? '' : 'muted', text: mine.length ? mine.map((w) => `${w.start}–${w.end}`).join(', ') : t('pros.closed') })));
      continue;
    }
    grid.append(h('div', { class: 'hours-row' }, h('label', { class: 'check hours-day', for: `hours-open-${d}` }, open, h('span', { text: dayName(d, lang) })), h('div', { class: 'hours-main' }, list, closedLabel, addBtn)));
    sync();
  }
  const d = dialog({
    title: t('pros.hoursOf', { name: p.name }),
    body: [h('p', { class: 'hint hours-lead', text: ro ? t('pros.hoursLeadRo') : t('pros.hoursLead') }), grid],
    wide: true,
    cls: 'hours-dialog',
    actions: ro
      ? [{ label: t('ui.close') }]
      : [
          { label: t('pros.copyMonday'), icon: 'copy', kind: 'ghost', onClick: () => (applyMonday(rows, rows[1].read()), false) },
          { label: t('ui.cancel'), kind: 'ghost' },
          {
            label: t('ui.save'),
            kind: 'primary',
            submit: true,
            onClick: async () => {
              const all = Object.values(rows).flatMap((r) => r.read());
              for (const w of all) if (!w.start || !w.end || w.start >= w.end) throw new Error(t('pros.badInterval', { day: dayName(w.weekday, lang) }));
              for (let day = 1; day <= 7; day++) {
                const iv = all.filter((w) => w.weekday === day).sort((a, b) => a.start.localeCompare(b.start));
                for (let i = 1; i < iv.length; i++) if (iv[i].start < iv[i - 1].end) throw new Error(t('pros.overlap', { day: dayName(day, lang) }));
              }
              await api.put(`/v1/admin/providers/${p.id}/availability`, { weekly: all });
              toast(t('pros.hoursSaved'));
              ctx.refresh();
            },
          },
        ].filter(Boolean),
  });
  return d;
}

const hh = (m) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

// Monday's intervals onto Tuesday … Friday.
function applyMonday(rows, mon) {
  for (let d = 2; d <= 5; d++) {
    const r = rows[d];
    r.open.checked = false;
    r.open.dispatchEvent(new Event('change')); // clears
    if (!mon.length) continue;
    r.open.checked = true;
    r.open.dispatchEvent(new Event('change')); // one default interval
    const first = r.list.firstElementChild;
    const inputs = first.querySelectorAll('input');
    inputs[0].value = mon[0].start;
    inputs[1].value = mon[0].end;
    for (let i = 1; i < mon.length; i++) {
      r.add();
      const last = r.list.lastElementChild.querySelectorAll('input');
      last[0].value = mon[i].start;
      last[1].value = mon[i].end;
    }
  }
}

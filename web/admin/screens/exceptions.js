// Exceptions to the weekly hours: days or hours when the business or one professional is closed (holidays,
// training) or opens extra. The API has no edit for them: delete and add again.
import { h, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, dialog, empty, pageHeader, table, toast } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtDay, today } from '../../shared/format.js';
import { catalog, viewOnly } from './common.js';

export default {
  async render(ctx) {
    const { t, api, lang, tz } = ctx;
    const [cat, items] = await Promise.all([catalog(api), api.all('/v1/admin/exceptions')]);
    if (!ctx.current()) return;
    const now = today(tz);
    items.sort((a, b) => a.from.localeCompare(b.from));
    const who = (x) => (x.provider_id ? (cat.provider(x.provider_id) || {}).name || '—' : t('exc.everyone'));
    const dates = (x) => (x.from === x.to ? fmtDay(x.from, lang, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }) : `${fmtDay(x.from, lang, { day: 'numeric', month: 'short' })} – ${fmtDay(x.to, lang, { day: 'numeric', month: 'short', year: 'numeric' })}`);
    const newBtn = ctx.can.write && button(t('exc.new'), { kind: 'primary', ico: 'plus', onclick: () => create(ctx, cat) });
    const cols = [
      { label: t('exc.dates'), cls: 'lead', cell: (x) => h('div', {}, h('span', { class: 'cell-main', text: dates(x) }), x.to < now && h('span', { class: 'cell-sub', text: t('exc.past') })) },
      { label: t('exc.who'), cell: who },
      { label: t('exc.kind'), cell: (x) => (x.kind === 'open' ? badge(t('exc.open'), 'info') : badge(t('exc.closed'), 'warn')) },
      { label: t('exc.hours'), cls: 'nowrap', cell: (x) => (x.start ? `${x.start}–${x.end}` : t('exc.allDay')) },
      { label: t('exc.reason'), cell: (x) => x.reason || '—' },
    ];
    if (ctx.can.write)
      cols.push({
        label: '',
        cls: 'actions',
        cell: (x) =>
          button(null, {
            small: true,
            kind: 'ghost',
            ico: 'trash',
            attrs: { 'aria-label': t('ui.delete'), title: t('ui.delete') },
            onclick: async () => {
              if (!(await confirm({ title: t('exc.deleteTitle'), text: t('exc.deleteText', { dates: dates(x) }), confirmLabel: t('ui.delete'), danger: true }))) return;
              await api.del(`/v1/admin/exceptions/${x.id}`);
              toast(t('exc.deleted'));
              ctx.refresh();
            },
          }),
      });
    mount(ctx.main, 
      pageHeader(t('nav.exceptions'), t('exc.lead'), newBtn),
      ctx.can.write ? null : viewOnly(t),
      items.length ? card(null, table(cols, items, { rowClass: (x) => (x.to < now ? 'dim' : null), caption: t('nav.exceptions') }), { cls: 'flush' }) : card(null, empty('calendar-off', t('exc.none'), t('exc.noneText'), newBtn)),
    );
  },
};

function create(ctx, cat) {
  const { t, api, tz } = ctx;
  const d0 = today(tz);
  const f = form(
    [
      { name: 'provider_id', label: t('exc.who'), type: 'select', wide: true, options: [{ value: '', label: t('exc.everyone') }, ...cat.providers.map((p) => ({ value: p.id, label: p.name }))] },
      { name: 'kind', label: t('exc.kind'), type: 'select', wide: true, options: [{ value: 'closed', label: t('exc.closedLong') }, { value: 'open', label: t('exc.openLong') }] },
      { name: 'from', label: t('exc.from'), type: 'date', required: true },
      { name: 'to', label: t('exc.to'), type: 'date', required: true },
      { name: 'all_day', label: t('exc.allDay'), type: 'checkbox', wide: true },
      { name: 'start', label: t('exc.start'), type: 'time', step: 300 },
      { name: 'end', label: t('exc.end'), type: 'time', step: 300 },
      { name: 'reason', label: t('exc.reason'), wide: true, maxlength: 200, placeholder: t('exc.reasonExample') },
    ],
    { kind: 'closed', from: d0, to: d0, all_day: true, provider_id: '' },
    { t },
  );
  const { all_day, start, end, from, to } = f.inputs;
  const sync = () => {
    for (const x of [start, end]) {
      x.control.closest('.field').hidden = all_day.control.checked;
      x.control.required = !all_day.control.checked;
    }
  };
  all_day.control.addEventListener('change', sync);
  from.control.addEventListener('change', () => {
    if (to.control.value < from.control.value) to.control.value = from.control.value;
  });
  sync();
  dialog({
    title: t('exc.new'),
    body: f.el,
    cls: 'exception-dialog',
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('exc.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const body = { provider_id: v.provider_id || null, kind: v.kind, from: v.from, to: v.to, start: v.all_day ? null : v.start, end: v.all_day ? null : v.end, reason: v.reason };
          if (body.to < body.from) throw new Error(t('exc.badRange'));
          await api.post('/v1/admin/exceptions', body);
          toast(t('exc.created'));
          ctx.refresh();
        },
      },
    ],
  });
}

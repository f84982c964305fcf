// The waitlist of one day (docs/waitlist.md): who waits for a time to free up, in the order they joined,
// with the window they asked for, and the offer a freed time made them (held until when). Staff may remove
// an entry; an open offer's time then goes to the next one.
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, empty, pageHeader, table, toast } from '../../shared/ui.js';
import { addDays, fmtDay, fmtInstant, local, today } from '../../shared/format.js';
import { catalog, viewOnly } from './common.js';

const KIND = { waiting: 'info', offered: 'warn', accepting: 'warn', booked: 'ok', expired: 'neutral', removed: 'neutral' };

export default {
  async render(ctx) {
    const { t, api, tz, lang, params } = ctx;
    const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') || '') ? params.get('date') : today(tz);
    const [cat, res] = await Promise.all([catalog(api), api.get('/v1/admin/waitlist', { date })]);
    if (!ctx.current()) return;
    const items = res.items || [];
    const nav = (d) => ctx.go('waitlist', { date: d });
    const dayInput = h('input', { type: 'date', class: 'input', id: 'wl-date', value: date, 'aria-label': t('wl.date'), onchange: (e) => e.target.value && nav(e.target.value) });
    const stepper = h(
      'div',
      { class: 'stepper' },
      h('button', { class: 'btn btn-secondary btn-sm btn-icon', type: 'button', 'aria-label': t('bookings.prev'), title: t('bookings.prev'), onclick: () => nav(addDays(date, -1)) }, icon('prev')),
      h('button', { class: 'btn btn-secondary btn-sm', type: 'button', text: t('bookings.today'), onclick: () => nav(today(tz)) }),
      h('button', { class: 'btn btn-secondary btn-sm btn-icon', type: 'button', 'aria-label': t('bookings.next'), title: t('bookings.next'), onclick: () => nav(addDays(date, 1)) }, icon('next')),
      dayInput,
      h('strong', { class: 'range-label', text: fmtDay(date, lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }) }),
    );
    const pro = (id) => (id ? (cat.provider(id) || {}).name || '—' : t('wl.anyone'));
    const contact = (c) => [c.email, c.phone].filter(Boolean).join(' · ');
    let n = 0;
    const cols = [
      { label: '#', cls: 'nowrap', cell: (x) => (x.status === 'waiting' || x.status === 'offered' ? String(++n) : '') },
      { label: t('wl.customer'), cls: 'lead', cell: (x) => h('div', {}, h('span', { class: 'cell-main', text: x.customer.name }), h('span', { class: 'cell-sub', text: contact(x.customer) })) },
      { label: t('wl.service'), cell: (x) => x.service_name || (cat.service(x.service_id) || {}).name || '—' },
      { label: t('wl.professional'), cell: (x) => pro(x.provider_id) },
      { label: t('wl.window'), cls: 'nowrap', cell: (x) => (x.window ? `${x.window.from}–${x.window.to}` : t('wl.allDay')) },
      { label: t('wl.status'), cell: (x) => badge(t('wl.status.' + x.status), KIND[x.status] || 'neutral') },
      {
        label: t('wl.offer'),
        cell: (x) =>
          x.offer
            ? h('div', {}, h('span', { class: 'cell-main', text: `${local(x.offer.start).time} · ${pro(x.offer.provider_id)}` }), x.status === 'offered' && h('span', { class: 'cell-sub', text: t('wl.until', { when: fmtInstant(x.offer.expires_at, lang, tz, { timeStyle: 'short' }) }) }))
            : '—',
      },
      { label: t('wl.source'), cell: (x) => t('wl.source.' + x.source) },
    ];
    if (ctx.can.write)
      cols.push({
        label: '',
        cls: 'actions',
        cell: (x) =>
          (x.status === 'waiting' || x.status === 'offered') &&
          button(null, {
            small: true,
            kind: 'ghost',
            ico: 'trash',
            attrs: { 'aria-label': t('wl.remove', { name: x.customer.name }), title: t('ui.delete') },
            onclick: async () => {
              if (!(await confirm({ title: t('wl.removeTitle'), text: t('wl.removeText', { name: x.customer.name }), confirmLabel: t('ui.delete'), danger: true }))) return;
              await api.del(`/v1/admin/waitlist/${x.id}`);
              toast(t('wl.removed'));
              ctx.refresh();
            },
          }),
      });
    mount(
      ctx.main,
      pageHeader(t('nav.waitlist'), t('wl.lead')),
      ctx.can.write ? null : viewOnly(t),
      card(null, stepper, { cls: 'toolbar' }),
      items.length ? card(null, table(cols, items, { rowClass: (x) => (x.status === 'waiting' || x.status === 'offered' ? null : 'dim'), caption: t('nav.waitlist') }), { cls: 'flush' }) : card(null, empty('clock', t('wl.none'), t('wl.noneText'))),
    );
  },
};

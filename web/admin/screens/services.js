// Services: what customers can book (name, duration, price, buffers, other names the assistant should
// understand) and which professionals offer each (kept on the professionals, PATCHed from here).
import { h, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, dialog, empty, pageHeader, rowLink, table, toast } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtMoney } from '../../shared/format.js';
import { catalog, viewOnly } from './common.js';

export default {
  async render(ctx) {
    const { t, api, lang } = ctx;
    const [cat, resources] = await Promise.all([catalog(api), api.all('/v1/admin/resources')]);
    if (!ctx.current()) return;
    cat.resources = resources;
    const offeredBy = (s) => cat.providers.filter((p) => (p.service_ids || []).includes(s.id));
    const open = (s) => edit(ctx, cat, s);
    mount(ctx.main, 
      pageHeader(t('nav.services'), t('services.lead'), ctx.can.write && button(t('services.new'), { kind: 'primary', ico: 'plus', onclick: () => edit(ctx, cat, null) })),
      ctx.can.write ? null : viewOnly(t),
      cat.services.length
        ? card(
            null,
            table(
              [
                { label: t('services.name'), cls: 'lead', cell: (s) => h('div', {}, h('span', { class: 'cell-main' }, rowLink(s.name, () => open(s))), s.description && h('span', { class: 'cell-sub', text: s.description })) },
                { label: t('services.duration'), cls: 'nowrap', cell: (s) => `${s.duration_min} min` },
                { label: t('services.price'), cls: 'num', cell: (s) => (s.price == null ? '—' : fmtMoney(s.price, s.currency, lang)) },
                { label: t('services.pros'), cell: (s) => offeredBy(s).map((p) => p.name).join(', ') || h('span', { class: 'muted', text: t('services.nobody') }) },
                { label: t('services.state'), cell: (s) => (s.active === false ? badge(t('ui.hidden'), 'neutral') : badge(t('ui.active'), 'ok')) },
              ],
              cat.services,
              { onRow: open, rowClass: (s) => (s.active === false ? 'dim' : null), caption: t('nav.services') },
            ),
            { cls: 'flush' },
          )
        : card(null, empty('tag', t('services.none'), t('services.noneText'), ctx.can.write && button(t('services.new'), { kind: 'primary', ico: 'plus', onclick: () => edit(ctx, cat, null) }))),
    );
  },
};

function edit(ctx, cat, s) {
  const { t, api } = ctx;
  const ro = !ctx.can.write;
  const offering = s ? cat.providers.filter((p) => (p.service_ids || []).includes(s.id)).map((p) => p.id) : cat.providers.filter((p) => p.active !== false).map((p) => p.id);
  const f = form(
    [
      { name: 'name', label: t('services.name'), required: true, maxlength: 120, wide: true },
      { name: 'description', label: t('services.description'), type: 'textarea', wide: true, maxlength: 1000, rows: 2 },
      { name: 'duration_min', label: t('services.durationMin'), type: 'number', required: true, min: 5, max: 720, step: 5 },
      { name: 'price', label: t('services.price'), type: 'number', min: 0, step: 0.01, hint: t('services.priceHint') },
      { name: 'buffer_before_min', label: t('services.bufferBefore'), type: 'number', min: 0, max: 240, step: 5 },
      { name: 'buffer_after_min', label: t('services.bufferAfter'), type: 'number', min: 0, max: 240, step: 5, hint: t('services.bufferHint') },
      { name: 'capacity', label: t('services.capacity'), type: 'number', min: 1, max: 500, step: 1, hint: t('services.capacityHint') },
      { name: 'resource_ids', label: t('services.resources'), type: 'checks', wide: true, options: cat.resources.map((r) => ({ value: r.id, label: `${r.name} (${r.quantity})` })), none: t('services.noResources'), hint: t('services.resourcesHint') },
      { name: 'pros', label: t('services.pros'), type: 'checks', wide: true, options: cat.providers.map((p) => ({ value: p.id, label: p.name })), none: t('services.noPros') },
      { name: 'synonyms', label: t('services.synonyms'), type: 'lines', wide: true, rows: 2, hint: t('services.synonymsHint') },
      { name: 'active', label: t('services.active'), type: 'checkbox', wide: true, hint: t('services.activeHint') },
    ],
    { duration_min: 30, buffer_before_min: 0, buffer_after_min: 0, capacity: 1, active: true, ...(s || {}), resource_ids: (s && s.resource_ids) || [], pros: offering },
    { readOnly: ro, t },
  );
  const actions = [];
  if (ro) actions.push({ label: t('ui.close'), kind: 'secondary' });
  else {
    if (s)
      actions.push({
        label: t('ui.delete'),
        kind: 'danger',
        icon: 'trash',
        onClick: async () => {
          if (!(await confirm({ title: t('services.deleteTitle'), text: t('services.deleteText', { name: s.name }), confirmLabel: t('ui.delete'), danger: true }))) return false;
          await api.del(`/v1/admin/services/${s.id}`);
          toast(t('services.deleted'));
          ctx.refresh();
        },
      });
    actions.push(
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: s ? t('ui.save') : t('services.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const pros = v.pros;
          delete v.pros;
          v.buffer_before_min = v.buffer_before_min || 0;
          v.buffer_after_min = v.buffer_after_min || 0;
          v.capacity = v.capacity || 1;
          if (!s && v.price != null) v.currency = 'EUR';
          const saved = s ? (await api.patch(`/v1/admin/services/${s.id}`, v)).service : (await api.post('/v1/admin/services', v)).service;
          // who offers it lives on the professionals
          for (const p of cat.providers) {
            const has = (p.service_ids || []).includes(saved.id), want = pros.includes(p.id);
            if (has !== want) await api.patch(`/v1/admin/providers/${p.id}`, { service_ids: want ? [...(p.service_ids || []), saved.id] : p.service_ids.filter((x) => x !== saved.id) });
          }
          toast(s ? t('ui.saved') : t('services.created', { name: saved.name }));
          ctx.refresh();
        },
      },
    );
  }
  dialog({ title: s ? s.name : t('services.new'), body: f.el, actions, wide: true, cls: 'service-dialog' });
}

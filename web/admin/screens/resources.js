// Resources: rooms and equipment with a number of units (a treatment room, two lasers). A service that needs
// one (its resource_ids, set on the service's form) is only offered when a unit is free, and each booking
// takes one (docs/booking.md, "Resources and group sessions").
import { h, mount } from '../../shared/dom.js';
import { button, card, confirm, dialog, empty, pageHeader, rowLink, table, toast } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { catalog, viewOnly } from './common.js';

export default {
  async render(ctx) {
    const { t, api } = ctx;
    const [resources, cat] = await Promise.all([api.all('/v1/admin/resources'), catalog(api)]);
    if (!ctx.current()) return;
    resources.sort((a, b) => a.name.localeCompare(b.name));
    const usedBy = (r) => cat.services.filter((s) => (s.resource_ids || []).includes(r.id));
    const open = (r) => edit(ctx, r, usedBy(r));
    const add = ctx.can.write && button(t('resources.new'), { kind: 'primary', ico: 'plus', onclick: () => edit(ctx, null, []) });
    mount(ctx.main,
      pageHeader(t('nav.resources'), t('resources.lead'), add),
      ctx.can.write ? null : viewOnly(t),
      resources.length
        ? card(
            null,
            table(
              [
                { label: t('resources.name'), cls: 'lead', cell: (r) => h('span', { class: 'cell-main' }, rowLink(r.name, () => open(r))) },
                { label: t('resources.quantity'), cls: 'num', cell: (r) => String(r.quantity) },
                { label: t('resources.usedBy'), cell: (r) => usedBy(r).map((s) => s.name).join(', ') || h('span', { class: 'muted', text: t('resources.unused') }) },
              ],
              resources,
              { onRow: open, caption: t('nav.resources') },
            ),
            { cls: 'flush' },
          )
        : card(null, empty('building', t('resources.none'), t('resources.noneText'), add)),
    );
  },
};

function edit(ctx, r, usedBy) {
  const { t, api } = ctx;
  const ro = !ctx.can.write;
  const f = form(
    [
      { name: 'name', label: t('resources.name'), required: true, maxlength: 120, wide: true },
      { name: 'quantity', label: t('resources.quantity'), type: 'number', required: true, min: usedBy.length ? 1 : 0, max: 1000, step: 1, hint: t('resources.quantityHint') },
    ],
    { quantity: 1, ...(r || {}) },
    { readOnly: ro, t },
  );
  const actions = [];
  if (ro) actions.push({ label: t('ui.close'), kind: 'secondary' });
  else {
    if (r && !usedBy.length)
      actions.push({
        label: t('ui.delete'),
        kind: 'danger',
        icon: 'trash',
        onClick: async () => {
          if (!(await confirm({ title: t('resources.deleteTitle'), text: t('resources.deleteText', { name: r.name }), confirmLabel: t('ui.delete'), danger: true }))) return false;
          await api.del(`/v1/admin/resources/${r.id}`);
          toast(t('resources.deleted'));
          ctx.refresh();
        },
      });
    actions.push(
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: r ? t('ui.save') : t('resources.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const saved = r ? (await api.patch(`/v1/admin/resources/${r.id}`, v)).resource : (await api.post('/v1/admin/resources', v)).resource;
          toast(r ? t('ui.saved') : t('resources.created', { name: saved.name }));
          ctx.refresh();
        },
      },
    );
  }
  const note = usedBy.length ? h('p', { class: 'muted', text: t('resources.inUse', { names: usedBy.map((s) => s.name).join(', ') }) }) : null;
  dialog({ title: r ? r.name : t('resources.new'), body: h('div', {}, f.el, note), actions, cls: 'resource-dialog' });
}

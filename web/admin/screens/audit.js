// The audit log (owners only): who changed what and when, newest first, fifty at a time.
import { h, mount } from '../../shared/dom.js';
import { badge, button, card, empty, pageHeader, table } from '../../shared/ui.js';
import { fmtInstant } from '../../shared/format.js';

export default {
  async render(ctx) {
    const { t, api, lang, tz } = ctx;
    const [first, users] = await Promise.all([api.get('/v1/admin/audit', { limit: 50 }), api.all('/v1/admin/users')]);
    if (!ctx.current()) return;
    const email = Object.fromEntries(users.map((u) => [u.id, u.email]));
    let items = first.items, cursor = first.next_cursor;
    const actor = (a) => (!a ? '—' : a.kind === 'platform' ? t('audit.operator') : a.kind === 'user' ? email[a.id] || a.id : a.kind === 'apikey' ? t('audit.widget') : a.kind || '—');
    const action = (x) => (t.has('act.' + x) ? t('act.' + x) : x);
    const detail = (d) =>
      d && typeof d === 'object'
        ? Object.entries(d)
            .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
            .join(' · ')
        : '';
    const box = h('div');
    const draw = () =>
      box.replaceChildren(
        items.length
          ? card(
              null,
              [
                table(
                  [
                    { label: t('audit.when'), cls: 'lead nowrap', cell: (x) => fmtInstant(x.at, lang, tz) },
                    { label: t('audit.who'), cell: (x) => actor(x.actor) },
                    { label: t('audit.what'), cell: (x) => h('div', {}, h('span', { class: 'cell-main', text: action(x.action) }), h('span', { class: 'cell-sub mono', text: x.target || '' })) },
                    { label: t('audit.result'), cell: (x) => badge(String(x.status || ''), x.status >= 400 ? 'bad' : 'ok') },
                    { label: t('audit.detail'), cls: 'audit-detail', cell: (x) => h('span', { class: 'small muted', text: detail(x.detail) }) },
                  ],
                  items,
                  { caption: t('nav.audit') },
                ),
                cursor &&
                  h(
                    'div',
                    { class: 'more-row' },
                    button(t('ui.more'), {
                      small: true,
                      onclick: async () => {
                        const r = await api.get('/v1/admin/audit', { limit: 50, cursor });
                        items = [...items, ...r.items];
                        cursor = r.next_cursor;
                        draw();
                      },
                    }),
                  ),
              ],
              { cls: 'flush' },
            )
          : card(null, empty('audit', t('audit.none'), null)),
      );
    draw();
    mount(ctx.main, pageHeader(t('nav.audit'), t('audit.lead')), box);
  },
};

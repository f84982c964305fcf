// The widget on the business's site: its keys (a key is bound to the sites, i.e. origins, it may be used
// from), the embed snippet, shown with the secret once when a key is created or rotated; changing a key's
// origins, rotating it with a grace period for the old one, revoking it at once.
import { h, mount } from '../../shared/dom.js';
import { badge, button, card, codeBlock, confirm, dialog, empty, pageHeader, table, toast, rowLink } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtAgo, fmtInstant } from '../../shared/format.js';
import { secretDialog, viewOnly } from './common.js';

const STATUS = { active: 'ok', rotated: 'warn', revoked: 'neutral' };

export default {
  async render(ctx) {
    const { t, api, lang, tz } = ctx;
    const keys = await api.all('/v1/admin/api-keys');
    if (!ctx.current()) return;
    keys.sort((a, b) => (a.status === 'revoked') - (b.status === 'revoked') || String(b.created_at).localeCompare(String(a.created_at)));
    const newBtn = ctx.can.write && button(t('keys.new'), { kind: 'primary', ico: 'plus', onclick: () => create(ctx) });
    const cols = [
      { label: t('keys.name'), cls: 'lead', cell: (k) => h('div', {}, h('span', { class: 'cell-main' }, ctx.can.write && k.status !== 'revoked' ? rowLink(k.name || t('keys.unnamed'), () => edit(ctx, k)) : k.name || t('keys.unnamed')), h('span', { class: 'cell-sub mono', text: k.prefix + '…' })) },
      { label: t('keys.origins'), cell: (k) => h('div', { class: 'origins' }, (k.origins || []).length ? k.origins.map((o) => h('span', { class: 'chip mono', text: o })) : h('span', { class: 'muted', text: t('keys.anyOrigin') }), k.allow_no_origin && h('span', { class: 'chip', text: t('keys.noOrigin') })) },
      { label: t('keys.status'), cell: (k) => h('div', {}, badge(t('keys.st.' + k.status), STATUS[k.status]), k.status === 'rotated' && k.expires_at && h('span', { class: 'cell-sub', text: t('keys.until', { when: fmtInstant(new Date(k.expires_at * 1000).toISOString(), lang, tz) }) })) },
      { label: t('keys.lastUsed'), cell: (k) => (k.last_used_at ? fmtAgo(k.last_used_at, lang) : t('keys.never')) },
      { label: t('keys.created'), cell: (k) => fmtInstant(k.created_at, lang, tz, { dateStyle: 'medium' }) },
    ];
    if (ctx.can.write)
      cols.push({
        label: '',
        cls: 'actions',
        cell: (k) =>
          k.status === 'revoked'
            ? null
            : [
                k.status === 'active' && button(t('keys.rotate'), { small: true, ico: 'refresh', onclick: () => rotate(ctx, k) }),
                button(t('keys.revoke'), { small: true, kind: 'danger', ico: 'ban', onclick: () => revoke(ctx, k) }),
              ],
      });
    const sample = `<script src="${location.origin}/widget.js" data-key="pk_live_…" async></script>`;
    mount(ctx.main, 
      pageHeader(t('nav.widget'), t('keys.lead'), newBtn),
      ctx.can.write ? null : viewOnly(t),
      card(
        t('keys.install'),
        [
          h('ol', { class: 'steps' }, h('li', { text: t('keys.step1') }), h('li', { text: t('keys.step2') }), h('li', { text: t('keys.step3') })),
          codeBlock(sample),
          h('p', { class: 'hint', text: t('keys.csp', { origin: location.origin }) }),
        ],
        { cls: 'install-card' },
      ),
      card(t('keys.title'), keys.length ? table(cols, keys, { rowClass: (k) => (k.status === 'revoked' ? 'dim' : null), caption: t('keys.title') }) : empty('key', t('keys.none'), t('keys.noneText'), newBtn), { cls: 'flush keys-card' }),
    );
  },
};

const originsField = (t) => ({ name: 'origins', label: t('keys.origins'), type: 'lines', wide: true, rows: 3, placeholder: 'https://www.example.com', hint: t('keys.originsHint') });

// The secret and the snippet, this once.
function showSecret(ctx, k, title) {
  const { t } = ctx;
  secretDialog(
    ctx,
    title,
    t('keys.once'),
    [
      { label: t('keys.snippet'), text: k.snippet || `<script src="${location.origin}/widget.js" data-key="${k.secret}" async></script>`, opts: { label: t('keys.copySnippet') } },
      { label: t('keys.secret'), text: k.secret, opts: { secret: true } },
    ],
    h('p', { class: 'hint' }, t('keys.tryDemo'), ' ', h('a', { href: `/demo/?key=${encodeURIComponent(k.secret)}`, target: '_blank', rel: 'noopener', text: t('keys.demoLink') })),
  );
}

function create(ctx) {
  const { t, api } = ctx;
  const f = form(
    [
      { name: 'name', label: t('keys.name'), maxlength: 80, wide: true, placeholder: t('keys.namePlaceholder') },
      originsField(t),
      { name: 'allow_no_origin', label: t('keys.allowNoOrigin'), type: 'checkbox', wide: true, hint: t('keys.allowNoOriginHint') },
    ],
    { name: '', origins: [] },
    { t },
  );
  dialog({
    title: t('keys.new'),
    body: f.el,
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('keys.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const r = await api.post('/v1/admin/api-keys', { name: v.name || t('keys.defaultName'), origins: v.origins, allow_no_origin: v.allow_no_origin });
          showSecret(ctx, r.api_key, t('keys.created'));
        },
      },
    ],
  });
}

function edit(ctx, k) {
  const { t, api } = ctx;
  const f = form([{ name: 'name', label: t('keys.name'), maxlength: 80, wide: true }, originsField(t), { name: 'allow_no_origin', label: t('keys.allowNoOrigin'), type: 'checkbox', wide: true, hint: t('keys.allowNoOriginHint') }], k, { t });
  dialog({
    title: t('keys.edit'),
    body: f.el,
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('ui.save'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          await api.patch(`/v1/admin/api-keys/${k.id}`, f.read());
          toast(t('ui.saved'));
          ctx.refresh();
        },
      },
    ],
  });
}

function rotate(ctx, k) {
  const { t, api } = ctx;
  const f = form(
    [
      {
        name: 'grace',
        label: t('keys.grace'),
        type: 'select',
        wide: true,
        options: [
          { value: '3600', label: t('keys.grace1h') },
          { value: '86400', label: t('keys.grace1d') },
          { value: '604800', label: t('keys.grace7d') },
          { value: '0', label: t('keys.graceNone') },
        ],
        hint: t('keys.graceHint'),
      },
    ],
    { grace: '86400' },
    { t },
  );
  dialog({
    title: t('keys.rotateTitle', { name: k.name || k.prefix }),
    body: [h('p', { text: t('keys.rotateText') }), f.el],
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('keys.rotate'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const r = await api.post(`/v1/admin/api-keys/${k.id}/rotate`, { grace_seconds: Number(f.read().grace) });
          showSecret(ctx, r.api_key, t('keys.rotated'));
        },
      },
    ],
  });
}

async function revoke(ctx, k) {
  const { t, api } = ctx;
  if (!(await confirm({ title: t('keys.revokeTitle'), text: t('keys.revokeText', { name: k.name || k.prefix }), confirmLabel: t('keys.revoke'), danger: true }))) return;
  try {
    await api.del(`/v1/admin/api-keys/${k.id}`);
    toast(t('keys.revoked'));
  } catch (e) {
    toast(e.message, 'error');
  }
  ctx.refresh();
}

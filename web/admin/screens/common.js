// What several screens share: the catalogue (services and professionals), status badges, professional
// colours, the notice viewers see instead of edit controls, and the dialog that shows a secret once.
import { h, icon } from '../../shared/dom.js';
import { badge, codeBlock, dialog } from '../../shared/ui.js';

export async function catalog(api) {
  const [services, providers] = await Promise.all([api.all('/v1/admin/services'), api.all('/v1/admin/providers')]);
  const byOrder = (a, b) => (a.order ?? 0) - (b.order ?? 0) || a.name.localeCompare(b.name);
  services.sort(byOrder);
  providers.sort(byOrder);
  return {
    services,
    providers,
    service: (id) => services.find((s) => s.id === id),
    provider: (id) => providers.find((p) => p.id === id),
  };
}

const STATUS_KIND = { confirmed: 'ok', pending: 'info', completed: 'neutral', cancelled: 'bad', no_show: 'warn' };
export const statusBadge = (t, s) => badge(t('status.' + s), STATUS_KIND[s] || 'neutral');

// A professional's colour in the calendar, stable by position.
const COLORS = ['#0f766e', '#7c3aed', '#c2410c', '#2563eb', '#be185d', '#4d7c0f', '#0369a1', '#a16207'];
export const colorOf = (providers, id) => COLORS[Math.max(0, providers.findIndex((p) => p.id === id)) % COLORS.length];

export function viewOnly(t) {
  return h('div', { class: 'alert alert-info view-only' }, icon('eye'), h('p', { text: t('ui.viewOnly') }));
}

export const initials = (name) =>
  String(name || '?')
    .replace(/^(Dr|Dra|Sr|Sra)\.?\s+/i, '')
    .split(/\s+/)
    .slice(0, 2)
    .map((w) => w.charAt(0).toUpperCase())
    .join('');

// A secret shown this once (a widget key, a webhook's signing secret): the warning, each block ({label,
// text, opts} for codeBlock) under its heading, then extra; the screen is drawn again when it closes.
export function secretDialog(ctx, title, warning, blocks, extra) {
  dialog({
    title,
    cls: 'secret-dialog',
    wide: true,
    body: [
      h('div', { class: 'alert alert-warn' }, icon('alert'), h('p', { text: warning })),
      blocks.map((b) => [h('h3', { class: 'secret-label', text: b.label }), codeBlock(b.text, b.opts)]),
      extra,
    ],
    actions: [{ label: ctx.t('keys.done'), kind: 'primary', onClick: () => ctx.refresh() }],
    onClose: () => ctx.refresh(),
  });
}

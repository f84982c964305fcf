// Channels: the same assistant on WhatsApp (Cloud API) and Telegram (a bot). Connecting one asks for the
// provider's credentials (sent once, stored encrypted by the server, never shown again) and shows the
// webhook URL to paste at Meta; a Telegram bot is pointed at this server with one button (setWebhook).
// Disconnecting makes the webhook answer 404. Owners and admins only: docs/channels.md.
import { h, mount } from '../../shared/dom.js';
import { badge, button, card, codeBlock, confirm, dialog, empty, pageHeader, table, toast } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtInstant } from '../../shared/format.js';
import { viewOnly } from './common.js';

export default {
  async render(ctx) {
    const { t, api, lang, tz } = ctx;
    if (!ctx.can.write) {
      mount(ctx.main, pageHeader(t('nav.channels'), t('chan.lead')), viewOnly(t));
      return;
    }
    const channels = await api.all('/v1/admin/channels');
    if (!ctx.current()) return;
    const actions = [
      button(t('chan.addWhatsapp'), { kind: 'primary', ico: 'plus', onclick: () => connect(ctx, 'whatsapp') }),
      button(t('chan.addTelegram'), { ico: 'plus', onclick: () => connect(ctx, 'telegram') }),
    ];
    const cols = [
      { label: t('chan.name'), cls: 'lead', cell: (c) => h('div', {}, h('span', { class: 'cell-main', text: c.name }), h('span', { class: 'cell-sub', text: c.phone_number_id ? t('chan.phoneId', { id: c.phone_number_id }) : '' })) },
      { label: t('chan.kind'), cell: (c) => badge(t('chan.kind.' + c.kind), c.kind === 'whatsapp' ? 'ok' : 'info') },
      { label: t('chan.webhook'), cell: (c) => h('code', { class: 'mono small webhook-url', text: c.webhook_url }) },
      { label: t('chan.created'), cell: (c) => fmtInstant(c.created_at, lang, tz, { dateStyle: 'medium' }) },
      {
        label: '',
        cls: 'actions',
        cell: (c) => [
          c.kind === 'telegram' && button(t('chan.setWebhook'), { small: true, ico: 'refresh', onclick: () => setWebhook(ctx, c) }),
          button(t('chan.remove'), { small: true, kind: 'danger', ico: 'ban', onclick: () => remove(ctx, c) }),
        ],
      },
    ];
    mount(
      ctx.main,
      pageHeader(t('nav.channels'), t('chan.lead'), actions),
      card(t('chan.title'), channels.length ? table(cols, channels, { caption: t('chan.title') }) : empty('chat', t('chan.none'), t('chan.noneText')), { cls: 'flush channels-card' }),
    );
  },
};

const FIELDS = {
  whatsapp: (t) => [
    { name: 'name', label: t('chan.name'), maxlength: 100, wide: true, placeholder: 'WhatsApp' },
    { name: 'phone_number_id', label: t('chan.phoneNumberId'), required: true, wide: true, hint: t('chan.phoneNumberIdHint') },
    { name: 'access_token', label: t('chan.accessToken'), type: 'password', required: true, wide: true, hint: t('chan.accessTokenHint') },
    { name: 'app_secret', label: t('chan.appSecret'), type: 'password', required: true, wide: true, hint: t('chan.appSecretHint') },
    { name: 'verify_token', label: t('chan.verifyToken'), required: true, wide: true, hint: t('chan.verifyTokenHint') },
    { name: 'template_name', label: t('chan.template'), wide: true, hint: t('chan.templateHint') },
  ],
  telegram: (t) => [
    { name: 'name', label: t('chan.name'), maxlength: 100, wide: true, placeholder: 'Telegram' },
    { name: 'bot_token', label: t('chan.botToken'), type: 'password', required: true, wide: true, hint: t('chan.botTokenHint') },
  ],
};

// A random verify token to paste at Meta (the tenant may type their own).
const randomToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

function connect(ctx, kind) {
  const { t, api } = ctx;
  const f = form(FIELDS[kind](t), kind === 'whatsapp' ? { verify_token: randomToken() } : {}, { t });
  dialog({
    title: t(kind === 'whatsapp' ? 'chan.addWhatsapp' : 'chan.addTelegram'),
    body: [h('p', { class: 'hint', text: t('chan.howTo.' + kind) }), f.el],
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('chan.connect'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const body = { kind };
          for (const [k, x] of Object.entries(v)) if (x !== '' && x != null) body[k] = x;
          const r = await api.post('/v1/admin/channels', body);
          if (kind === 'telegram') await setWebhook(ctx, r.channel, true);
          connected(ctx, r.channel, v.verify_token);
        },
      },
    ],
  });
}

// What to do next at the provider: the webhook URL (and, for WhatsApp, the verify token typed a moment ago).
function connected(ctx, c, verifyToken) {
  const { t } = ctx;
  dialog({
    title: t('chan.connected'),
    wide: true,
    body: [
      h('p', { text: t('chan.next.' + c.kind) }),
      h('h3', { class: 'secret-label', text: t('chan.webhook') }),
      codeBlock(c.webhook_url),
      c.kind === 'whatsapp' && [h('h3', { class: 'secret-label', text: t('chan.verifyToken') }), codeBlock(verifyToken)],
    ],
    actions: [{ label: t('keys.done'), kind: 'primary', onClick: () => ctx.refresh() }],
    onClose: () => ctx.refresh(),
  });
}

async function setWebhook(ctx, c, quiet) {
  const { t, api } = ctx;
  try {
    await api.post(`/v1/admin/channels/${c.id}/telegram-webhook`);
    toast(t('chan.webhookSet'));
  } catch (e) {
    toast(e.message, 'error');
    if (quiet) return;
  }
}

async function remove(ctx, c) {
  const { t, api } = ctx;
  if (!(await confirm({ title: t('chan.removeTitle'), text: t('chan.removeText', { name: c.name }), confirmLabel: t('chan.remove'), danger: true }))) return;
  try {
    await api.del(`/v1/admin/channels/${c.id}`);
    toast(t('chan.removed'));
  } catch (e) {
    toast(e.message, 'error');
  }
  ctx.refresh();
}

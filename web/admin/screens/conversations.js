// Conversations: the chats customers had with the assistant, hand-offs waiting for an answer first. A
// transcript shows the customer's and the assistant's messages, the booking it ended in, and for a
// hand-off the customer's contact and a "mark handled" button. Route parameters: filter=all|handoff|booked,
// id=CONVERSATION (the transcript open).
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, empty, pageHeader, spinner, tabs, toast, errorBox } from '../../shared/ui.js';
import { fmtAgo, fmtInstant } from '../../shared/format.js';

export default {
  async render(ctx) {
    const { t, api, params } = ctx;
    const filter = ['all', 'handoff', 'booked'].includes(params.get('filter')) ? params.get('filter') : 'all';
    const [list, handoffs] = await Promise.all([
      api.get('/v1/admin/conversations', { status: filter === 'all' ? null : filter, limit: 100 }),
      api.get('/v1/admin/conversations', { status: 'handoff', limit: 200 }),
    ]);
    if (!ctx.current()) return;
    const pending = handoffs.items.filter(waiting);
    let items = list.items;
    let cursor = list.next_cursor;
    // hand-offs still waiting come first, then newest first
    const order = (arr) => [...arr].sort((a, b) => waiting(b) - waiting(a) || String(b.last_message_at || b.created_at).localeCompare(String(a.last_message_at || a.created_at)));
    items = order(items);
    const selected = params.get('id');

    const listBox = h('div', { class: 'conv-list', role: 'list' });
    const more = h('div', { class: 'conv-more' });
    const pane = h('div', { class: 'conv-pane' });
    const drawList = () => {
      mount(
        listBox,
        items.length
          ? items.map((c) =>
              h(
                'a',
                { class: ['conv-item', c.id === selected && 'active', waiting(c) && 'waiting'], role: 'listitem', href: `#/conversations?filter=${filter}&id=${c.id}`, dataset: { id: c.id } },
                h('div', { class: 'conv-top' }, h('strong', { text: who(t, c) }), h('span', { class: 'muted small', text: fmtAgo(c.last_message_at || c.created_at, ctx.lang) })),
                h('div', { class: 'conv-meta' }, statusOf(t, c), channelChip(t, c), h('span', { class: 'muted small', text: t('conv.messages', { n: c.messages || 0 }) }), h('span', { class: 'muted small lang', text: (c.lang || '').toUpperCase() })),
              ),
            )
          : empty('chat', t('conv.none'), filter === 'handoff' ? t('conv.noneHandoff') : t('conv.noneText')),
      );
      mount(
        more,
        cursor &&
          button(t('ui.more'), {
            small: true,
            onclick: async () => {
              const r = await api.get('/v1/admin/conversations', { status: filter === 'all' ? null : filter, limit: 100, cursor });
              items = order([...items, ...r.items]);
              cursor = r.next_cursor;
              drawList();
            },
          }),
      );
    };
    drawList();

    mount(
      ctx.main,
      pageHeader(t('nav.conversations'), t('conv.lead')),
      tabs(
        [
          { id: 'all', label: t('conv.all'), href: '#/conversations?filter=all' },
          { id: 'handoff', label: t('conv.handoffs'), href: '#/conversations?filter=handoff', count: pending.length },
          { id: 'booked', label: t('conv.booked'), href: '#/conversations?filter=booked' },
        ],
        filter,
      ),
      h('div', { class: ['conv', selected && 'has-selection'] }, h('div', { class: 'card flush conv-side' }, listBox, more), pane),
    );

    if (!selected) {
      mount(pane, h('div', { class: 'card conv-placeholder' }, empty('chat', t('conv.pick'), t('conv.pickText'))));
      return;
    }
    mount(pane, h('div', { class: 'card' }, spinner()));
    let conv;
    try {
      conv = await api.get(`/v1/admin/conversations/${selected}`);
    } catch (e) {
      mount(pane, h('div', { class: 'card' }, errorBox(e)));
      return;
    }
    if (!ctx.current()) return;
    mount(pane, transcript(ctx, conv, filter));
  },
};

// the medium a conversation came through: the widget, or a channel (WhatsApp, Telegram) with the sender
const channelChip = (t, c) => (c.channel ? h('span', { class: ['chip', 'channel-chip', 'channel-' + c.channel.kind], title: c.channel.sender, text: t('chan.kind.' + c.channel.kind) }) : null);

const waiting = (c) => (c.handoff && !c.handoff.handled ? 1 : 0);
const who = (t, c) => (c.handoff && c.handoff.name) || (c.booking && c.booking.customer && c.booking.customer.name) || (c.booking && c.booking.code && t('conv.bookingCode', { code: c.booking.code })) || (c.channel && c.channel.sender && (c.channel.kind === 'whatsapp' ? '+' : '') + c.channel.sender) || t('conv.visitor');

function statusOf(t, c) {
  if (c.handoff) return c.handoff.handled ? badge(t('conv.handled'), 'neutral') : badge(t('conv.waiting'), 'warn');
  if (c.status === 'booked' || c.booking) return badge(t('conv.statusBooked'), 'ok');
  return badge(t('conv.statusOpen'), 'info');
}

function transcript(ctx, { conversation: c, messages }, filter) {
  const { t, api, lang, tz } = ctx;
  const labels = {};
  const log = h('div', { class: 'transcript', role: 'log', 'aria-label': t('conv.transcript') });
  for (const m of messages) {
    if (m.from === 'staff') {
      log.append(h('div', { class: 'bubble staff' }, h('span', { class: 'sr', text: t('conv.staffSaid') }), m.text, h('time', { text: fmtInstant(m.at, lang, tz, { timeStyle: 'short' }) })));
      continue;
    }
    if (m.role === 'user') {
      const text = m.text || labels[m.action] || m.action;
      log.append(h('div', { class: 'bubble user' }, h('span', { class: 'sr', text: t('conv.customerSaid') }), text, h('time', { text: fmtInstant(m.at, lang, tz, { timeStyle: 'short' }) })));
    } else {
      if (m.text) log.append(h('div', { class: 'bubble bot' }, h('span', { class: 'sr', text: t('conv.assistantSaid') }), m.text, h('time', { text: fmtInstant(m.at, lang, tz, { timeStyle: 'short' }) })));
      if (m.booking && m.booking.code) log.append(h('div', { class: 'bubble booked' }, icon('check'), h('span', { text: t('conv.bookedCard', { code: m.booking.code, service: m.booking.service || '', provider: m.booking.provider || '' }) })));
      if (m.quick_replies && m.quick_replies.length) log.append(h('div', { class: 'chips' }, m.quick_replies.map((q) => h('span', { class: 'chip', text: q.label }))));
      for (const q of m.quick_replies || []) labels[q.payload] = q.label;
    }
  }
  const hand = c.handoff;
  let handBox = null;
  if (hand) {
    const contact = [hand.email && h('a', { href: 'mailto:' + hand.email, text: hand.email }), hand.phone && h('a', { href: 'tel:' + String(hand.phone).replace(/\s+/g, ''), text: hand.phone })].filter(Boolean);
    handBox = h(
      'div',
      { class: ['alert', hand.handled ? 'alert-info' : 'alert-warn', 'handoff-box'] },
      icon(hand.handled ? 'check' : 'chat'),
      h(
        'div',
        {},
        h('strong', { text: hand.handled ? t('conv.handoffHandled') : t('conv.handoffWaiting') }),
        h('p', {}, [hand.name, ...contact].filter(Boolean).flatMap((x, i) => (i ? [' · ', x] : [x]))),
        hand.at && h('p', { class: 'small', text: fmtInstant(hand.at, lang, tz) }),
      ),
      ctx.can.write &&
        button(hand.handled ? t('conv.reopen') : t('conv.markHandled'), {
          kind: hand.handled ? 'secondary' : 'primary',
          small: true,
          ico: hand.handled ? 'restore' : 'check',
          onclick: async () => {
            try {
              await api.patch(`/v1/admin/conversations/${c.id}`, { handled: !hand.handled });
              toast(hand.handled ? t('conv.reopened') : t('conv.markedHandled'));
              ctx.refreshCounts();
              ctx.refresh();
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        }),
    );
  }
  return card(
    null,
    [
      h(
        'header',
        { class: 'transcript-head' },
        h('a', { class: 'btn btn-ghost btn-sm back', href: `#/conversations?filter=${filter}` }, icon('back'), h('span', { text: t('ui.back') })),
        h('div', {}, h('h2', { text: who(t, c) }), h('p', { class: 'muted small', text: `${fmtInstant(c.created_at, lang, tz)} · ${(c.lang || '').toUpperCase()} · ${t('conv.messages', { n: c.messages || messages.length })}` })),
        channelChip(t, c),
        statusOf(t, c),
      ),
      handBox,
      log,
      c.channel && ctx.can.write && replyBox(ctx, c),
    ],
    { cls: 'transcript-card' },
  );
}

// Staff answer on the conversation's channel (POST /v1/admin/conversations/{id}/reply): the customer gets it
// on WhatsApp or Telegram, and it joins the transcript.
function replyBox(ctx, c) {
  const { t, api } = ctx;
  const text = h('textarea', { id: 'conv-reply', rows: 3, maxlength: 4000, required: true, 'aria-label': t('conv.replyLabel', { channel: t('chan.kind.' + c.channel.kind) }), placeholder: t('conv.replyPlaceholder') });
  const send = button(t('conv.replySend', { channel: t('chan.kind.' + c.channel.kind) }), {
    kind: 'primary',
    ico: 'chat',
    onclick: async () => {
      if (!text.value.trim()) return;
      try {
        await api.post(`/v1/admin/conversations/${c.id}/reply`, { text: text.value.trim() });
        toast(t('conv.replySent'));
        ctx.refresh();
      } catch (e) {
        toast(e.message, 'error');
      }
    },
  });
  return h('div', { class: 'conv-reply' }, h('label', { for: 'conv-reply', class: 'small muted', text: t('conv.replyHint', { channel: t('chan.kind.' + c.channel.kind), sender: c.channel.sender }) }), text, h('div', { class: 'conv-reply-actions' }, send));
}

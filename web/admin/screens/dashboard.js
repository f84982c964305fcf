// The dashboard: today's and the coming days' bookings, hand-offs waiting for an answer, and this month's
// usage against the plan's limits (GET /v1/admin/usage: totals and a per-day series, drawn with uPlot). An
// organisation's own dashboard also shows its branches side by side (GET /v1/admin/org/usage).
import { h, icon, mount } from '../../shared/dom.js';
import { card, empty, meter, pageHeader, button, table, rowLink } from '../../shared/ui.js';
import { dailyChart } from '../../shared/chart.js';
import { addDays, fmtDay, fmtNumber, local, today } from '../../shared/format.js';
import { catalog, statusBadge } from './common.js';

export default {
  async render(ctx) {
    const { t, api, tz, lang, me } = ctx;
    const day = today(tz);
    const [cat, todays, coming, handoffs, usage, orgUsage] = await Promise.all([
      catalog(api),
      api.all('/v1/admin/bookings', { from: day, to: day }),
      api.get('/v1/admin/bookings', { from: addDays(day, 1), to: addDays(day, 7), limit: 500 }).then((r) => r.items),
      api.get('/v1/admin/conversations', { status: 'handoff', limit: 200 }).then((r) => r.items.filter((c) => !(c.handoff && c.handoff.handled))),
      api.get('/v1/admin/usage').then(
        (r) => r.usage,
        (e) => (e.status === 404 ? null : Promise.reject(e)),
      ),
      ctx.org ? api.get('/v1/admin/org/usage') : null,
    ]);
    if (!ctx.current()) return;
    const live = (b) => b.status !== 'cancelled';
    const todayLive = todays.filter(live);
    const comingLive = coming.filter(live);
    const limits = me.limits || {};
    const activePros = cat.providers.filter((p) => p.active !== false).length;

    const stat = (ico, value, label, href, kind) => h('a', { class: 'stat', href }, h('span', { class: ['stat-icon', kind] }, icon(ico)), h('div', {}, h('strong', { text: value }), h('span', { text: label })));

    const bookingList = (items, withDay) =>
      h(
        'ul',
        { class: 'list bookings-list' },
        items.map((b) => {
          const l = local(b.start);
          return h(
            'li',
            { class: b.status === 'cancelled' ? 'dim' : null },
            h('span', { class: 'time' }, withDay ? h('span', { class: 'day-short', text: fmtDay(l.day, lang, { weekday: 'short', day: 'numeric' }) }) : null, l.time),
            h('div', { class: 'grow' }, h('span', { class: 'cell-main', text: b.customer ? b.customer.name : '—' }), h('span', { class: 'cell-sub', text: `${b.service_name} · ${b.provider_name}` })),
            statusBadge(t, b.status),
          );
        }),
      );

    const todayCard = card(
      t('dash.today', { day: fmtDay(day, lang) }),
      todays.length ? bookingList(todays) : empty('calendar', t('dash.noneToday'), t('dash.noneTodayText')),
      { actions: h('a', { class: 'btn btn-ghost btn-sm', href: `#/bookings?view=day&date=${day}` }, t('dash.openDay'), icon('next')), cls: 'today-card' },
    );
    const comingCard = card(t('dash.coming'), comingLive.length ? bookingList(comingLive.slice(0, 8), true) : empty('calendar-plus', t('dash.noneComing'), null), {
      actions: h('a', { class: 'btn btn-ghost btn-sm', href: `#/bookings?view=week&date=${addDays(day, 1)}` }, t('dash.openWeek'), icon('next')),
    });

    const n = (v) => fmtNumber(v, lang);
    const totals = usage && usage.totals;
    const meters = [
      meter(t('usage.messages'), totals ? totals.messages : null, limits.messages_month ?? null, n),
      meter(t('usage.bookings'), totals ? totals.bookings : null, limits.bookings_month ?? null, n),
    ];
    if (limits.ai_tokens_month) meters.push(meter(t('usage.aiTokens'), totals && totals.ai_tokens ? totals.ai_tokens.total : null, limits.ai_tokens_month, n));
    meters.push(meter(t('usage.professionals'), activePros, limits.providers ?? null, n));

    let charts;
    if (usage && usage.days && usage.days.length) {
      const days = usage.days.map((d) => d.date);
      charts = h(
        'div',
        { class: 'charts' },
        h('h3', { class: 'chart-title', text: t('usage.perDayMessages') }),
        dailyChart({ days, lang, height: 150, series: [{ label: t('usage.messages'), color: '#0f766e', values: usage.days.map((d) => d.messages || 0) }] }),
        h('h3', { class: 'chart-title', text: t('usage.perDayBookings') }),
        dailyChart({ days, lang, height: 150, series: [{ label: t('usage.bookings'), color: '#7c3aed', values: usage.days.map((d) => d.bookings || 0) }] }),
      );
    } else if (usage) {
      charts = empty('activity', t('usage.noActivity'), t('usage.noActivityText'));
    } else {
      charts = h('div', { class: 'usage-empty' }, empty('activity', t('usage.unavailable'), t('usage.unavailableText')));
    }
    const monthName = fmtDay(day, lang, { month: 'long', year: 'numeric' });
    const usageCard = card(
      t('usage.title', { month: monthName }),
      h('div', { class: 'usage' }, h('div', { class: 'meters' }, meters), charts),
      { actions: h('span', { class: 'badge badge-brand', text: t('plan.name', { plan: me.tenant.plan }) }), cls: 'usage-card' },
    );

    // the organisation: its branches' month side by side, summed in the last row
    const orgCard =
      orgUsage &&
      card(
        t('org.title', { n: orgUsage.branches.length - 1 }),
        table(
          [
            { label: t('org.branch'), cell: (b) => (b.id === orgUsage.organisation.id ? h('strong', { text: b.name }) : rowLink(b.name, () => ctx.switchTo(b.id))) },
            { label: t('usage.bookings'), cls: 'num', cell: (b) => n(b.totals.bookings || 0) },
            { label: t('usage.messages'), cls: 'num', cell: (b) => n(b.totals.messages || 0) },
            { label: t('dash.statConversations'), cls: 'num', cell: (b) => n(b.totals.conversations || 0) },
            { label: t('org.health'), cls: 'num', cell: (b) => (b.health == null ? '—' : String(b.health)) },
          ],
          [...orgUsage.branches, { id: '', name: t('org.total'), totals: orgUsage.totals, health: orgUsage.health.mean }],
          { rowClass: (b) => (b.id ? null : 'total-row'), caption: t('org.title', { n: orgUsage.branches.length - 1 }) },
        ),
        { cls: 'org-card' },
      );

    const handoffCard = handoffs.length
      ? h(
          'div',
          { class: 'alert alert-warn handoff-alert' },
          icon('chat'),
          h('div', {}, h('strong', { text: t(handoffs.length === 1 ? 'dash.handoffsOne' : 'dash.handoffs', { n: handoffs.length }) }), h('p', { text: t('dash.handoffsText') })),
          h('a', { class: 'btn btn-secondary btn-sm', href: '#/conversations?filter=handoff' }, t('dash.answer')),
        )
      : null;

    const firstSteps =
      !cat.services.length || !cat.providers.length
        ? h(
            'div',
            { class: 'alert alert-info' },
            icon('info'),
            h('div', {}, h('strong', { text: t('dash.setupTitle') }), h('p', { text: t('dash.setupText') })),
            ctx.can.write && button(t('dash.setupGo'), { small: true, onclick: () => ctx.go(cat.services.length ? 'professionals' : 'services') }),
          )
        : null;

    mount(
      ctx.main,
      pageHeader(me.tenant.name, fmtDay(day, lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }), ctx.can.write && h('a', { class: 'btn btn-primary', href: '#/bookings?new=1' }, icon('plus'), h('span', { text: t('bookings.new') }))),
      firstSteps,
      handoffCard,
      h(
        'div',
        { class: 'stats', style: firstSteps || handoffCard ? { 'margin-top': '16px' } : {} },
        stat('calendar', n(todayLive.length), t('dash.statToday'), `#/bookings?view=day&date=${day}`),
        stat('calendar-plus', n(comingLive.length), t('dash.statWeek'), `#/bookings?view=week&date=${addDays(day, 1)}`),
        stat('chat', n(handoffs.length), t('dash.statHandoffs'), '#/conversations?filter=handoff', handoffs.length ? 'warn' : null),
        stat('activity', totals ? n(totals.conversations || 0) : '—', t('dash.statConversations'), '#/conversations', 'info'),
      ),
      orgCard && h('div', { style: { 'margin-top': '16px' } }, orgCard),
      h('div', { class: 'grid grid-main' }, h('div', { class: 'col' }, todayCard, comingCard), h('div', { class: 'col' }, usageCard)),
    );
  },
};

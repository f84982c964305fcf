// Calendars of the professionals screen and the settings screen (PRODUCT.md section 12, docs/calendars.md):
// the secret subscription URL of a professional's (or the whole business's) bookings, to show, copy and
// reset (POST re-creates it: the old URL stops working at once), with the steps for Google, Outlook and
// Apple; and a professional's external calendars (busy times in): a list of private ICS addresses saved with
// PATCH /v1/admin/providers/{id} {"external_calendars":[{"url"}]}, each with the status of its last sync
// from GET /v1/admin/providers/{id}/calendars. Either part degrades to a notice when its API is missing.
import { h, icon, mount } from '../../shared/dom.js';
import { button, confirm, copyButton, describe, dialog, toast } from '../../shared/ui.js';
import { fmtInstant } from '../../shared/format.js';

export const MAX_EXTERNAL = 5;

// The subscription URL box of path (/v1/admin/feed or /v1/admin/providers/{id}/feed).
export function feedBox(ctx, path, { cls } = {}) {
  const { t, api } = ctx;
  const field = h('input', { type: 'url', class: 'feed-url mono', readonly: true, 'aria-label': t('cal.feedLabel'), value: '' });
  const reset =
    ctx.can.write &&
    button(t('cal.reset'), {
      small: true,
      kind: 'ghost',
      ico: 'refresh',
      onclick: async () => {
        if (!(await confirm({ title: t('cal.resetTitle'), text: t('cal.resetText'), confirmLabel: t('cal.reset'), danger: true }))) return;
        try {
          field.value = (await api.post(path)).feed.url;
          toast(t('cal.resetDone'));
        } catch (e) {
          toast(describe(e), 'error');
        }
      },
    });
  const row = h('div', { class: 'feed-row' }, field, copyButton(() => field.value), reset);
  const box = h(
    'div',
    { class: ['feed-box', cls] },
    row,
    h(
      'details',
      { class: 'feed-help' },
      h('summary', { text: t('cal.howTo') }),
      h('ul', { class: 'small' }, ['cal.google', 'cal.outlook', 'cal.apple'].map((k) => h('li', { text: t(k) }))),
      h('p', { class: 'hint', text: t('cal.refreshNote') }),
    ),
  );
  api
    .get(path)
    .then((r) => (field.value = r.feed.url))
    .catch(() => mount(row, h('p', { class: 'muted small', text: t('cal.unavailable') })));
  return box;
}

// One external calendar's status line.
function statusLine(t, lang, tz, st) {
  if (!st) return h('span', { class: 'cal-status muted small', text: t('cal.unsaved') });
  if (st.status === 'ok')
    return h('span', { class: 'cal-status ok small' }, icon('check'), ' ', t('cal.ok', { when: st.last_ok_at ? fmtInstant(st.last_ok_at, lang, tz) : '—' }), st.events != null ? ' · ' + t('cal.events', { n: st.events }) : '');
  if (st.status === 'error')
    return h('span', { class: 'cal-status bad small' }, icon('alert'), ' ', t('cal.error', { msg: st.last_error || '?' }), st.last_ok_at ? ' · ' + t('cal.lastOk', { when: fmtInstant(st.last_ok_at, lang, tz) }) : '');
  return h('span', { class: 'cal-status muted small' }, icon('clock'), ' ', t('cal.pending'));
}

// The calendar dialog of professional p: its feed and its external calendars.
export function calendarDialog(ctx, p) {
  const { t, api, lang, me } = ctx;
  const ro = !ctx.can.write;
  const tz = p.timezone || (me.tenant && me.tenant.timezone);
  let urls = (p.external_calendars || []).map((c) => c.url).filter(Boolean);
  let status = {};
  const list = h('ul', { class: 'cal-list' });
  const input = h('input', { type: 'url', class: 'cal-new', placeholder: 'https://…/basic.ics', 'aria-label': t('cal.newLabel'), maxlength: 2000 });
  const addBtn = button(t('cal.add'), { small: true, ico: 'plus', onclick: () => add() });
  const note = h('p', { class: 'hint cal-note', hidden: true });
  const draw = () => {
    mount(
      list,
      urls.length
        ? urls.map((u, i) =>
            h(
              'li',
              { class: 'cal-item', dataset: { url: u } },
              h('div', { class: 'grow' }, h('div', { class: 'cal-url mono small', text: u }), statusLine(t, lang, tz, status[u])),
              !ro && h('button', { class: 'btn btn-ghost btn-sm btn-icon cal-remove', type: 'button', 'aria-label': t('cal.remove'), title: t('cal.remove'), onclick: () => ((urls = urls.filter((_, j) => j !== i)), draw()) }, icon('trash')),
            ),
          )
        : h('li', { class: 'muted small', text: t('cal.none') }),
    );
    const full = urls.length >= MAX_EXTERNAL;
    input.disabled = addBtn.disabled = full;
    note.hidden = !full;
    note.textContent = full ? t('cal.max', { n: MAX_EXTERNAL }) : '';
  };
  const add = () => {
    const u = input.value.trim();
    if (!/^https?:\/\/\S+$/i.test(u) && !/^webcals?:\/\/\S+$/i.test(u)) {
      toast(t('cal.badUrl'), 'error');
      return;
    }
    // webcal:// is how calendar services often show the address: it is https underneath
    const url = u.replace(/^webcal(s?):\/\//i, 'https://');
    if (!urls.includes(url) && urls.length < MAX_EXTERNAL) urls.push(url);
    input.value = '';
    draw();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  });
  draw();
  // the status of the saved calendars (absent until the import is there: the list stays without it)
  api
    .get(`/v1/admin/providers/${p.id}/calendars`)
    .then((r) => {
      status = Object.fromEntries((r.items || []).map((c) => [c.url, c]));
      draw();
    })
    .catch(() => {});
  const body = [
    h('section', { class: 'cal-section' }, h('h3', { text: t('cal.feed') }), h('p', { class: 'hint', text: t('cal.feedLead', { name: p.name }) }), feedBox(ctx, `/v1/admin/providers/${p.id}/feed`)),
    h(
      'section',
      { class: 'cal-section' },
      h('h3', { text: t('cal.external') }),
      h('p', { class: 'hint', text: t('cal.externalLead', { name: p.name, n: MAX_EXTERNAL }) }),
      list,
      !ro && h('div', { class: 'cal-add' }, input, addBtn),
      note,
    ),
  ];
  return dialog({
    title: t('cal.title', { name: p.name }),
    body,
    wide: true,
    cls: 'cal-dialog',
    actions: ro
      ? [{ label: t('ui.close') }]
      : [
          { label: t('ui.cancel'), kind: 'ghost' },
          {
            label: t('ui.save'),
            kind: 'primary',
            submit: true,
            onClick: async () => {
              if (input.value.trim()) add();
              await api.patch(`/v1/admin/providers/${p.id}`, { external_calendars: urls.map((url) => ({ url })) });
              toast(t('cal.saved'));
              ctx.refresh();
            },
          },
        ],
  });
}

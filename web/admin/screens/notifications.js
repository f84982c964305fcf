// Notifications: who gets which e-mail (customers on or off, the staff's addresses), the reminders before an
// appointment, the e-mails' words per event and language with a live preview (the server renders it with
// sample data; the HTML is shown in an iframe with sandbox="" and srcdoc, so it can run nothing), the
// webhooks (add, enable or disable, rotate the secret, send a test, delete, their deliveries with retries)
// and the e-mails that failed for good, to retry. Owners and admins edit; viewers read. Each card loads on
// its own, so a server without one of these endpoints (404) still shows the others.
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, confirm, dialog, empty, pageHeader, table, toast, describe, spinner } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtInstant } from '../../shared/format.js';
import { secretDialog, viewOnly } from './common.js';

// The events whose e-mails a business may reword, by audience (the customer's, or "staff.<event>").
const CUSTOMER_EVENTS = ['booking.created', 'booking.rescheduled', 'booking.cancelled', 'booking.reminder', 'waitlist.offered'];
const STAFF_EVENTS = ['booking.created', 'booking.rescheduled', 'booking.cancelled', 'conversation.handoff'];
// What a webhook may subscribe to (PRODUCT.md section 11).
const WEBHOOK_EVENTS = ['booking.created', 'booking.cancelled', 'booking.rescheduled', 'booking.reminder', 'conversation.handoff', 'usage.limit_near', 'usage.limit_reached', 'waitlist.offered'];
const PLACEHOLDERS = ['customer_name', 'service', 'professional', 'start_local', 'code', 'manage_url', 'business'];
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;
const MAX_STAFF = 20;
const MAX_REMINDERS = 5;
const DELIVERY_KIND = { pending: 'info', delivered: 'ok', failed: 'bad' };
let errIds = 0;

export default {
  async render(ctx) {
    const { t } = ctx;
    const ro = !ctx.can.write;
    const settingsBox = h('div', { class: 'notif-settings' }, spinner());
    const hooksBox = h('div', { class: 'notif-webhooks' }, spinner());
    const failedBox = h('div', { class: 'notif-failed' }, spinner());
    mount(ctx.main, pageHeader(t('nav.notifications'), t('notif.lead')), ro ? viewOnly(t) : null, settingsBox, hooksBox, failedBox);
    await Promise.all([settingsCard(ctx, settingsBox), webhooksCard(ctx, hooksBox), failedCard(ctx, failedBox)]);
  },
};

// A card's load: a 404 means this server has no such endpoint yet, a 403 that the role may not see it.
async function load(ctx, box, title, fn) {
  try {
    return await fn();
  } catch (e) {
    if (!ctx.current()) return null;
    if (e.status === 401) throw e;
    const text = e.status === 404 ? ctx.t('notif.missing') : e.status === 403 ? ctx.t('err.forbidden') : describe(e);
    mount(box, card(title, h('div', { class: 'alert alert-info', role: 'note' }, icon('info'), h('p', { text }))));
    return null;
  }
}

// ---- e-mails, reminders and templates (one PUT) ----

async function settingsCard(ctx, box) {
  const { t, api } = ctx;
  const r = await load(ctx, box, t('notif.emails'), () => api.get('/v1/admin/settings/notifications'));
  if (!r || !ctx.current()) return;
  const ro = !ctx.can.write;
  const n = r.notifications || {};
  const draft = {
    customer_emails: n.customer_emails !== false,
    staff_emails: [...(n.staff_emails || [])],
    reminders: (n.reminders || []).map((x) => x.before_min),
    templates: JSON.parse(JSON.stringify(n.templates || {})),
  };
  const banner = !r.email_enabled && h('div', { class: 'alert alert-warn email-off', role: 'note' }, icon('alert'), h('p', { text: t('notif.emailOff') }));

  const customer = form([{ name: 'customer_emails', label: t('notif.customerEmails'), type: 'checkbox', wide: true, hint: t('notif.customerEmailsHint') }], draft, { readOnly: ro, t });
  const staff = listEditor(ctx, {
    id: 'staff-emails',
    label: t('notif.staffEmails'),
    hint: t('notif.staffEmailsHint'),
    items: draft.staff_emails,
    max: MAX_STAFF,
    add: t('notif.addEmail'),
    row: (v, i) => h('input', { type: 'email', class: 'input', value: v, maxlength: 200, 'aria-label': t('notif.staffEmailN', { n: i + 1 }), placeholder: 'recepcion@ejemplo.com', autocomplete: 'off' }),
    blank: '',
    show: (v) => v,
  });
  const reminders = listEditor(ctx, {
    id: 'reminders',
    label: t('notif.reminders'),
    hint: t('notif.remindersHint'),
    items: draft.reminders,
    max: MAX_REMINDERS,
    add: t('notif.addReminder'),
    row: (v, i) => reminderRow(t, v, i),
    blank: 1440,
    show: (v) => beforeText(t, v),
  });

  const templates = templatesEditor(ctx, draft.templates);
  const save = async (e) => {
    e.preventDefault();
    const errors = [...staff.validate(), ...reminders.validate()];
    if (errors.length) {
      errors[0].focus();
      toast(t('notif.fixErrors'), 'error');
      return;
    }
    const btn = e.submitter || e.target.querySelector('[type=submit]');
    btn.disabled = true;
    const body = {
      notifications: {
        customer_emails: customer.read().customer_emails,
        staff_emails: staff.read(),
        reminders: reminders.read().map((before_min) => ({ before_min })),
        templates: templates.read(),
      },
    };
    try {
      await api.put('/v1/admin/settings/notifications', body);
      toast(t('ui.saved'));
      ctx.refresh();
    } catch (err) {
      toast(describe(err), 'error');
      btn.disabled = false;
    }
  };
  mount(
    box,
    banner,
    h(
      ro ? 'div' : 'form',
      { class: 'settings-form notif-form', onsubmit: ro ? null : save, novalidate: true },
      card(t('notif.emails'), [h('p', { class: 'hint card-lead', text: t('notif.emailsHint') }), customer.el, staff.el, reminders.el]),
      card(t('notif.templates'), templates.el, { cls: 'templates-card' }),
      !ro && h('div', { class: 'save-bar sticky-save' }, h('span', { class: 'muted small', text: t('notif.saveHint') }), button(t('ui.saveChanges'), { kind: 'primary', type: 'submit', ico: 'check' })),
    ),
  );
}

// A list of values edited row by row (inputs made by row(value, i)), with add and remove buttons; viewers
// get the values as text. validate() marks bad rows and returns their inputs; read() the values.
function listEditor(ctx, { id, label, hint, items, max, add, row, blank, show }) {
  const { t } = ctx;
  if (!ctx.can.write)
    return { el: h('dl', { class: 'details' }, h('div', { class: 'detail wide' }, h('dt', { text: label }), h('dd', { text: items.length ? items.map(show).join(', ') : t('notif.none') }))) };
  const list = h('ul', { class: 'list-editor', id, 'aria-labelledby': id + '-label' });
  const addBtn = button(add, { ico: 'plus', small: true, onclick: () => addRow(blank, true) });
  const count = () => list.children.length;
  const sync = () => {
    addBtn.disabled = count() >= max;
    [...list.children].forEach((li, i) => li.querySelector('.remove').setAttribute('aria-label', t('notif.removeN', { n: i + 1 })));
  };
  function addRow(v, focus) {
    const control = row(v, count());
    const err = h('p', { class: 'field-error', hidden: true, role: 'alert' });
    const li = h(
      'li',
      { class: 'list-row' },
      control,
      button('', {
        ico: 'trash',
        small: true,
        kind: 'ghost',
        attrs: { class: 'btn btn-ghost btn-sm btn-icon remove', title: t('ui.delete') },
        onclick: () => {
          const next = li.nextElementSibling || li.previousElementSibling;
          li.remove();
          sync();
          (next ? next.querySelector('input, select') : addBtn).focus();
        },
      }),
      err,
    );
    li.control = control;
    li.err = err;
    list.append(li);
    sync();
    if (focus) li.querySelector('input, select').focus();
  }
  items.forEach((v) => addRow(v));
  const el = h(
    'div',
    { class: 'field wide list-field' },
    h('span', { class: 'label', id: id + '-label', text: label }),
    hint && h('p', { class: 'hint', text: hint }),
    list,
    h('div', { class: 'list-add' }, addBtn),
  );
  const values = () => [...list.children].map((li) => (li.control.read ? li.control.read() : li.control.value.trim()));
  return {
    el,
    read: () => values().filter((v) => v !== '' && v != null),
    validate() {
      const bad = [];
      const seen = new Set();
      for (const li of list.children) {
        const v = li.control.read ? li.control.read() : li.control.value.trim();
        let msg = li.control.problem ? li.control.problem() : v && !EMAIL.test(v) ? t('notif.badEmail') : null;
        const key = typeof v === 'string' ? v.toLowerCase() : v;
        if (!msg && v !== '' && v != null && seen.has(key)) msg = t('notif.duplicate');
        seen.add(key);
        li.err.hidden = !msg;
        li.err.textContent = msg || '';
        const input = li.querySelector('input');
        if (msg) {
          input.setAttribute('aria-invalid', 'true');
          input.setAttribute('aria-describedby', (li.err.id ||= `${id}-err-${++errIds}`));
          bad.push(input);
        } else {
          input.removeAttribute('aria-invalid');
          input.removeAttribute('aria-describedby');
        }
      }
      return bad;
    },
  };
}

// One reminder: a number and a unit (hours or minutes before the start).
function reminderRow(t, before, i) {
  const hours = before % 60 === 0;
  const num = h('input', { type: 'number', class: 'input num', min: 1, step: 1, value: hours ? before / 60 : before, inputmode: 'numeric', 'aria-label': t('notif.reminderN', { n: i + 1 }) });
  const unit = h('select', { class: 'input unit', 'aria-label': t('notif.unit') }, h('option', { value: '60', text: t('notif.hoursBefore'), selected: hours }), h('option', { value: '1', text: t('notif.minutesBefore'), selected: !hours }));
  const el = h('span', { class: 'reminder' }, num, unit);
  el.read = () => (num.value === '' ? null : Math.round(Number(num.value) * Number(unit.value)));
  el.problem = () => {
    const v = el.read();
    return v == null || !Number.isInteger(Number(num.value)) || v < 1 || v > 30 * 1440 ? t('notif.badReminder') : null;
  };
  return el;
}

function beforeText(t, min) {
  return min % 60 === 0 ? t('notif.hoursN', { n: min / 60 }) : t('notif.minutesN', { n: min });
}

// ---- templates ----

function templatesEditor(ctx, templates) {
  const { t, api } = ctx;
  const ro = !ctx.can.write;
  const sel = { audience: 'customer', event: CUSTOMER_EVENTS[0], lang: ctx.me.tenant.locale === 'en' ? 'en' : 'es' };
  const keyOf = () => (sel.audience === 'staff' ? 'staff.' : '') + sel.event;
  const cur = () => (templates[keyOf()] && templates[keyOf()][sel.lang]) || {};
  const eventsOf = () => (sel.audience === 'staff' ? STAFF_EVENTS : CUSTOMER_EVENTS);

  const pick = (name, label, options, value, onchange) => {
    const id = 'tpl-' + name;
    const s = h('select', { id, class: 'input' }, options.map((o) => h('option', { value: o.value, text: o.label, selected: o.value === value })));
    s.addEventListener('change', () => onchange(s.value));
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), s);
  };
  const subject = h('input', { id: 'tpl-subject', class: 'input', maxlength: 200, readonly: ro, autocomplete: 'off' });
  const text = h('textarea', { id: 'tpl-text', class: 'input', rows: 9, maxlength: 5000, readonly: ro });
  const status = h('p', { class: 'hint tpl-status', role: 'status' });
  const pvSubject = h('p', { class: 'pv-subject' });
  const pvText = h('pre', { class: 'pv-text' });
  const pvFrame = h('iframe', { class: 'pv-html', sandbox: '', title: t('notif.previewHtml'), referrerpolicy: 'no-referrer' });
  const pvError = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const pvBox = h('div', { class: 'preview-pane', 'aria-live': 'polite' }, h('h3', { text: t('notif.preview') }), pvError, h('span', { class: 'label', text: t('notif.subject') }), pvSubject, h('span', { class: 'label', text: t('notif.plainText') }), pvText, h('span', { class: 'label', text: t('notif.html') }), pvFrame);

  const fill = () => {
    subject.value = cur().subject || '';
    text.value = cur().text || '';
    status.textContent = templates[keyOf()] && templates[keyOf()][sel.lang] ? t('notif.custom') : t('notif.defaultText');
    preview();
  };
  // the form's words go into the draft on every keystroke; both empty = the default again
  const store = () => {
    const k = keyOf();
    const v = {};
    if (subject.value.trim()) v.subject = subject.value.trim();
    if (text.value.trim()) v.text = text.value.trim();
    if (v.subject || v.text) (templates[k] ||= {})[sel.lang] = v;
    else if (templates[k]) {
      delete templates[k][sel.lang];
      if (!Object.keys(templates[k]).length) delete templates[k];
    }
    status.textContent = templates[k] && templates[k][sel.lang] ? t('notif.custom') : t('notif.defaultText');
  };
  let timer = null, seq = 0;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const n = ++seq;
      const k = keyOf();
      try {
        const r = await api.post('/v1/admin/settings/notifications/preview', { event: sel.event, lang: sel.lang, audience: sel.audience, templates: templates[k] ? { [k]: templates[k] } : {} });
        if (n !== seq) return;
        pvError.hidden = true;
        pvSubject.textContent = r.subject || '';
        pvText.textContent = r.text || '';
        pvFrame.srcdoc = r.html || '';
      } catch (e) {
        if (n !== seq) return;
        pvError.hidden = false;
        mount(pvError, icon('alert'), h('p', { text: e.status === 404 ? t('notif.missing') : describe(e) }));
      }
    }, 350);
  }
  if (!ro) {
    subject.addEventListener('input', () => (store(), preview()));
    text.addEventListener('input', () => (store(), preview()));
  }
  const audienceOpts = [{ value: 'customer', label: t('notif.toCustomer') }, { value: 'staff', label: t('notif.toStaff') }];
  const eventOpts = () => eventsOf().map((e) => ({ value: e, label: t('notif.ev.' + e.replace('.', '_')) }));
  const eventBox = h('div', { class: 'tpl-event' });
  const drawEvents = () => mount(eventBox, pick('event', t('notif.event'), eventOpts(), sel.event, (v) => ((sel.event = v), fill())));
  drawEvents();
  const pickers = h(
    'div',
    { class: 'form-grid tpl-pickers' },
    pick('audience', t('notif.audience'), audienceOpts, sel.audience, (v) => {
      sel.audience = v;
      if (!eventsOf().includes(sel.event)) sel.event = eventsOf()[0];
      drawEvents();
      fill();
    }),
    eventBox,
    pick('lang', t('notif.language'), [{ value: 'es', label: 'Español' }, { value: 'en', label: 'English' }], sel.lang, (v) => ((sel.lang = v), fill())),
  );
  const reset =
    !ro &&
    button(t('notif.reset'), {
      small: true,
      kind: 'ghost',
      ico: 'restore',
      onclick: () => {
        subject.value = '';
        text.value = '';
        store();
        preview();
        subject.focus();
      },
    });
  const el = h(
    'div',
    { class: 'templates' },
    h('p', { class: 'hint card-lead', text: t('notif.templatesHint') }),
    pickers,
    h(
      'div',
      { class: 'tpl-grid' },
      h(
        'div',
        { class: 'tpl-edit' },
        h('div', { class: 'field' }, h('label', { for: 'tpl-subject', text: t('notif.subject') }), subject),
        h('div', { class: 'field' }, h('label', { for: 'tpl-text', text: t('notif.text') }), text),
        h('p', { class: 'hint' }, t('notif.placeholders') + ' ', PLACEHOLDERS.map((p) => h('code', { class: 'chip mono', text: `{{${p}}}` }))),
        h('div', { class: 'tpl-foot' }, status, reset),
      ),
      pvBox,
    ),
  );
  fill();
  return { el, read: () => templates };
}

// ---- webhooks ----

async function webhooksCard(ctx, box) {
  const { t, api, lang, tz } = ctx;
  const r = await load(ctx, box, t('notif.webhooks'), () => api.get('/v1/admin/webhooks'));
  if (!r || !ctx.current()) return;
  const items = r.items || [];
  const write = ctx.can.write;
  const addBtn = write && button(t('notif.addWebhook'), { kind: 'primary', ico: 'plus', small: true, onclick: () => addWebhook(ctx) });
  const cols = [
    { label: t('notif.url'), cls: 'lead', cell: (w) => h('div', {}, h('span', { class: 'cell-main mono url', text: w.url }), w.description && h('span', { class: 'cell-sub', text: w.description })) },
    { label: t('notif.events'), cell: (w) => h('div', { class: 'origins' }, (w.events || []).map((e) => h('span', { class: 'chip mono', text: e }))) },
    { label: t('notif.status'), cell: (w) => badge(w.enabled === false ? t('notif.disabled') : t('notif.enabled'), w.enabled === false ? 'neutral' : 'ok') },
    { label: t('notif.created'), cell: (w) => fmtInstant(w.created_at, lang, tz, { dateStyle: 'medium' }) },
    {
      label: '',
      cls: 'actions',
      cell: (w) => [
        button(t('notif.deliveries'), { small: true, ico: 'list', onclick: () => deliveries(ctx, `/v1/admin/webhooks/${w.id}/deliveries`, {}, t('notif.deliveriesOf', { url: w.url })) }),
        write && button(t('notif.test'), { small: true, ico: 'send', onclick: () => sendTest(ctx, w) }),
        write && button(w.enabled === false ? t('notif.enable') : t('notif.disable'), { small: true, ico: w.enabled === false ? 'check' : 'ban', onclick: () => setEnabled(ctx, w, w.enabled === false) }),
        write && button(t('notif.rotate'), { small: true, ico: 'refresh', onclick: () => rotate(ctx, w) }),
        write && button(t('ui.delete'), { small: true, kind: 'danger', ico: 'trash', onclick: () => remove(ctx, w) }),
      ],
    },
  ];
  mount(
    box,
    card(
      t('notif.webhooks'),
      [h('p', { class: 'hint card-lead', text: t('notif.webhooksHint') }), items.length ? table(cols, items, { caption: t('notif.webhooks'), rowClass: (w) => (w.enabled === false ? 'dim' : null) }) : empty('webhook', t('notif.noWebhooks'), t('notif.noWebhooksText'), addBtn)],
      { actions: items.length ? addBtn : null, cls: 'webhooks-card' },
    ),
  );
}

function webhookForm(ctx, w = {}) {
  const { t } = ctx;
  return form(
    [
      { name: 'url', label: t('notif.url'), type: 'url', required: true, wide: true, maxlength: 500, placeholder: 'https://example.com/bookchat', hint: t('notif.urlHint') },
      { name: 'description', label: t('notif.description'), wide: true, maxlength: 200 },
      { name: 'events', label: t('notif.events'), type: 'checks', wide: true, options: WEBHOOK_EVENTS.map((e) => ({ value: e, label: e })) },
    ],
    { events: ['booking.created', 'booking.cancelled', 'booking.rescheduled'], ...w },
    { t },
  );
}

function addWebhook(ctx) {
  const { t, api } = ctx;
  const f = webhookForm(ctx);
  dialog({
    title: t('notif.addWebhook'),
    body: f.el,
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('notif.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          if (!v.url || !/^https?:\/\//i.test(v.url)) throw new Error(t('notif.badUrl'));
          if (!v.events.length) throw new Error(t('notif.noEvents'));
          const r = await api.post('/v1/admin/webhooks', { url: v.url, events: v.events, ...(v.description ? { description: v.description } : {}) });
          showSecret(ctx, r.webhook, t('notif.webhookCreated'));
        },
      },
    ],
  });
}

// The signing secret, this once.
function showSecret(ctx, w, title) {
  const { t } = ctx;
  secretDialog(ctx, title, t('notif.secretOnce'), [{ label: t('notif.secret'), text: w.secret || '', opts: { secret: true } }], h('p', { class: 'hint', text: t('notif.secretHint') }));
}

async function setEnabled(ctx, w, enabled) {
  const { t, api } = ctx;
  try {
    await api.patch(`/v1/admin/webhooks/${w.id}`, { enabled });
    toast(enabled ? t('notif.enabledToast') : t('notif.disabledToast'));
  } catch (e) {
    toast(describe(e), 'error');
  }
  ctx.refresh();
}

async function rotate(ctx, w) {
  const { t, api } = ctx;
  if (!(await confirm({ title: t('notif.rotateTitle'), text: t('notif.rotateText', { url: w.url }), confirmLabel: t('notif.rotate') }))) return;
  try {
    const r = await api.patch(`/v1/admin/webhooks/${w.id}`, { rotate_secret: true });
    showSecret(ctx, r.webhook, t('notif.rotated'));
  } catch (e) {
    toast(describe(e), 'error');
  }
}

async function remove(ctx, w) {
  const { t, api } = ctx;
  if (!(await confirm({ title: t('notif.deleteTitle'), text: t('notif.deleteText', { url: w.url }), confirmLabel: t('ui.delete'), danger: true }))) return;
  try {
    await api.del(`/v1/admin/webhooks/${w.id}`);
    toast(t('notif.deleted'));
  } catch (e) {
    toast(describe(e), 'error');
  }
  ctx.refresh();
}

async function sendTest(ctx, w) {
  const { t, api } = ctx;
  try {
    await api.post(`/v1/admin/webhooks/${w.id}/test`, {});
    toast(t('notif.testSent'));
  } catch (e) {
    toast(describe(e), 'error');
  }
}

// ---- deliveries: a webhook's log, and the failed e-mails ----

function deliveryCols(ctx, refresh) {
  const { t, lang, tz } = ctx;
  const when = (iso) => (iso ? fmtInstant(iso, lang, tz) : '—');
  return [
    { label: t('notif.event'), cls: 'lead', cell: (d) => h('div', {}, h('span', { class: 'cell-main mono', text: d.event }), d.to && h('span', { class: 'cell-sub', text: d.to })) },
    { label: t('notif.status'), cell: (d) => badge(t('notif.st.' + d.status), DELIVERY_KIND[d.status] || 'neutral') },
    { label: t('notif.attempts'), cell: (d) => String(d.attempts ?? 0) },
    { label: t('notif.lastResult'), cell: (d) => h('div', {}, d.last_status ? h('span', { class: 'mono', text: String(d.last_status) }) : null, d.last_error && h('span', { class: 'cell-sub', text: d.last_error })) },
    { label: t('notif.when'), cell: (d) => h('div', {}, h('span', { text: when(d.created_at) }), h('span', { class: 'cell-sub', text: d.status === 'delivered' ? t('notif.deliveredAt', { when: when(d.delivered_at) }) : d.status === 'pending' && d.next_at ? t('notif.nextAt', { when: when(d.next_at) }) : '' })) },
    {
      label: '',
      cls: 'actions',
      cell: (d) =>
        ctx.can.write &&
        d.status === 'failed' &&
        button(t('notif.retry'), {
          small: true,
          ico: 'refresh',
          onclick: async (e) => {
            e.currentTarget.disabled = true;
            try {
              await ctx.api.post(`/v1/admin/deliveries/${d.id}/retry`, {});
              toast(t('notif.retried'));
            } catch (err) {
              toast(describe(err), 'error');
            }
            refresh();
          },
        }),
    },
  ];
}

// A list of deliveries with "load more" (next_cursor), into box; returns its reload function.
function deliveryList(ctx, box, path, params, emptyTitle) {
  const { t, api } = ctx;
  let items = [];
  let cursor = null;
  async function page(more) {
    try {
      const r = await api.get(path, { ...params, cursor: more ? cursor : null, limit: 50 });
      items = more ? items.concat(r.items || []) : r.items || [];
      cursor = r.next_cursor || null;
    } catch (e) {
      mount(box, h('div', { class: 'alert alert-error', role: 'alert' }, icon('alert'), h('p', { text: e.status === 404 ? t('notif.missing') : describe(e) })));
      return;
    }
    mount(
      box,
      items.length ? table(deliveryCols(ctx, () => page(false)), items, { caption: emptyTitle }) : empty('mail', emptyTitle, null),
      cursor && button(t('ui.more'), { small: true, onclick: () => page(true) }),
    );
  }
  mount(box, spinner());
  page(false);
  return () => page(false);
}

function deliveries(ctx, path, params, title) {
  const { t } = ctx;
  const box = h('div', { class: 'deliveries' });
  const reload = deliveryList(ctx, box, path, params, t('notif.noDeliveries'));
  dialog({
    title,
    wide: true,
    cls: 'deliveries-dialog',
    body: box,
    actions: [
      { label: t('notif.reload'), icon: 'refresh', onClick: async () => (reload(), false) },
      { label: t('ui.close'), kind: 'primary' },
    ],
  });
}

async function failedCard(ctx, box) {
  const { t, api } = ctx;
  const probe = await load(ctx, box, t('notif.failed'), () => api.get('/v1/admin/deliveries', { status: 'failed', kind: 'email', limit: 1 }));
  if (!probe || !ctx.current()) return;
  const list = h('div', { class: 'deliveries' });
  const reload = deliveryList(ctx, list, '/v1/admin/deliveries', { status: 'failed', kind: 'email' }, t('notif.noFailed'));
  mount(box, card(t('notif.failed'), [h('p', { class: 'hint card-lead', text: t('notif.failedHint') }), list], { actions: button(t('notif.reload'), { small: true, ico: 'refresh', onclick: reload }), cls: 'failed-card' }));
}

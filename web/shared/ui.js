// Building blocks of the admin panel and the operator console: page headers, cards, tables that turn into
// cards on phones, badges, empty states, modal dialogs (native <dialog>), confirmations, toasts, copy
// buttons and progress bars. They take their words from the page's t() (uiInit), keys starting "ui.".
import { h, icon, mount } from './dom.js';

let t = (k) => k;
export function uiInit(translate) {
  t = translate;
}

export function button(label, { kind = 'secondary', ico, onclick, type = 'button', small, attrs = {} } = {}) {
  return h('button', { class: ['btn', 'btn-' + kind, small && 'btn-sm', !label && 'btn-icon'], type, onclick, ...attrs }, ico && icon(ico), label && h('span', { text: label }));
}

export function pageHeader(title, sub, ...actions) {
  return h('div', { class: 'page-head' }, h('div', { class: 'page-title' }, h('h1', { text: title }), sub && h('p', { class: 'muted', text: sub })), h('div', { class: 'page-actions' }, actions));
}

export function card(title, body, { actions, cls } = {}) {
  return h('section', { class: ['card', cls] }, title && h('header', { class: 'card-head' }, h('h2', { text: title }), actions && h('div', { class: 'card-actions' }, actions)), body);
}

export function badge(text, kind = 'neutral') {
  return h('span', { class: 'badge badge-' + kind, text });
}

export function empty(ico, title, text, action) {
  return h('div', { class: 'empty' }, h('span', { class: 'empty-icon' }, icon(ico)), h('strong', { text: title }), text && h('p', { text }), action);
}

export function spinner(label) {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), h('span', { text: label || t('ui.loading') }));
}

export function errorBox(err, retry) {
  return h('div', { class: 'alert alert-error', role: 'alert' }, icon('alert'), h('div', {}, h('strong', { text: t('ui.failed') }), h('p', { text: describe(err) })), retry && button(t('ui.retry'), { onclick: retry, small: true }));
}

// A readable sentence for an ApiError: the page's words for the code when it has them, else the server's.
export function describe(err) {
  if (!err) return '';
  const key = 'err.' + err.code;
  const own = t(key);
  if (own !== key) return err.message && err.code === 'invalid_request' ? `${own} ${err.message}` : own;
  return err.message || String(err);
}

// columns: [{label, cell(row) → node|string, cls}]; rows: objects. On narrow screens each row becomes a card
// whose cells are labelled (data-label, shown by CSS).
export function table(columns, rows, { onRow, rowClass, caption } = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      caption && h('caption', { class: 'sr', text: caption }),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.cls, text: c.label })))),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { class: [onRow && 'clickable', rowClass && rowClass(r)], onclick: onRow && ((e) => !e.target.closest('button, a, input, select') && onRow(r)) },
            columns.map((c) => h('td', { class: c.cls, dataset: { label: c.label } }, c.cell(r))),
          ),
        ),
      ),
    ),
  );
}

// A link-looking button that opens a row (keyboard users reach rows through it).
export const rowLink = (text, onclick) => h('button', { class: 'row-link', type: 'button', text, onclick });

// A modal dialog. actions: [{label, kind, onClick: async () => false to stay open, submit: true for the
// form's submit}]. The body is inside a <form> so Enter submits and the browser checks required fields.
export function dialog({ title, body, actions = [], wide, onClose, cls }) {
  const errBox = h('div', { class: 'dialog-error', role: 'alert', hidden: true });
  const foot = h('footer', { class: 'dialog-foot' });
  const form = h('form', { class: 'dialog-form', novalidate: false }, h('div', { class: 'dialog-body' }, errBox, body), foot);
  const el = h(
    'dialog',
    { class: ['dialog', wide && 'dialog-wide', cls], 'aria-labelledby': 'dlg-title' },
    h('header', { class: 'dialog-head' }, h('h2', { id: 'dlg-title', text: title }), h('button', { class: 'btn btn-ghost btn-icon', type: 'button', 'aria-label': t('ui.close'), title: t('ui.close'), onclick: () => close() }, icon('close'))),
    form,
  );
  let closed = false;
  const close = (v) => {
    if (closed) return;
    closed = true;
    el.close();
    el.remove();
    if (onClose) onClose(v);
  };
  const api = {
    el,
    form,
    close,
    error(e) {
      errBox.hidden = !e;
      mount(errBox, e ? [icon('alert'), h('span', { text: typeof e === 'string' ? e : describe(e) })] : []);
      if (e) errBox.scrollIntoView({ block: 'nearest' });
    },
    busy(on) {
      for (const b of foot.querySelectorAll('button')) b.disabled = on;
      el.classList.toggle('is-busy', on);
    },
    setActions(list) {
      mount(foot, list.map(mk));
    },
  };
  let submitAction = null;
  function mk(a) {
    if (a.submit) submitAction = a;
    return button(a.label, { kind: a.kind || 'secondary', ico: a.icon, type: a.submit ? 'submit' : 'button', onclick: a.submit ? null : () => run(a) });
  }
  async function run(a) {
    api.error(null);
    if (!a.onClick) return close();
    api.busy(true);
    try {
      const keep = await a.onClick(api);
      if (keep !== false) close(true);
    } catch (e) {
      api.error(e);
    } finally {
      if (!closed) api.busy(false);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (submitAction) run(submitAction);
  });
  el.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  api.setActions(actions);
  document.body.append(el);
  el.showModal();
  const first = el.querySelector('.dialog-body input:not([type=hidden]):not([disabled]), .dialog-body select, .dialog-body textarea');
  if (first) first.focus();
  return api;
}

export function confirm({ title, text, confirmLabel, danger }) {
  return new Promise((resolve) => {
    let ok = false;
    dialog({
      title,
      body: h('p', { class: 'confirm-text', text }),
      cls: 'dialog-confirm',
      onClose: () => resolve(ok),
      actions: [
        { label: t('ui.cancel'), kind: 'ghost' },
        { label: confirmLabel || t('ui.confirm'), kind: danger ? 'danger' : 'primary', submit: true, onClick: () => (ok = true) },
      ],
    });
  });
}

let toasts;
export function toast(text, kind = 'ok') {
  if (!toasts || !toasts.isConnected) {
    toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toasts);
  }
  const el = h('div', { class: 'toast toast-' + kind }, icon(kind === 'error' ? 'alert' : 'check'), h('span', { text }));
  toasts.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 7000 : 3500);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // insecure origins have no clipboard API: select a temporary field instead
    const ta = h('textarea', { class: 'offscreen', readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function copyButton(getText, label) {
  const b = button(label || t('ui.copy'), {
    ico: 'copy',
    small: true,
    onclick: async () => {
      const ok = await copyText(typeof getText === 'function' ? getText() : getText);
      toast(ok ? t('ui.copied') : t('ui.copyFailed'), ok ? 'ok' : 'error');
    },
  });
  b.classList.add('copy');
  return b;
}

// A block of code (a snippet, a secret) with a copy button.
export function codeBlock(text, { label, secret } = {}) {
  return h('div', { class: ['code-block', secret && 'secret'] }, h('pre', {}, h('code', { text })), copyButton(text, label));
}

// used/limit as a labelled bar; limit null = unlimited.
export function meter(label, used, limit, fmt = String) {
  const pct = limit ? Math.min(100, (used / limit) * 100) : 0;
  const level = !limit ? 'ok' : pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : 'ok';
  const bar = h('div', { class: 'meter-bar' }, h('span', { class: 'meter-fill meter-' + level, style: { width: (limit ? Math.max(pct, used ? 1.5 : 0) : 0) + '%' } }));
  return h(
    'div',
    { class: 'meter' },
    h('div', { class: 'meter-top' }, h('span', { class: 'meter-label', text: label }), h('span', { class: 'meter-value' }, h('strong', { text: used == null ? '—' : fmt(used) }), ' / ', limit == null ? t('ui.unlimited') : fmt(limit))),
    limit != null && used != null ? bar : null,
    limit != null && used != null ? h('span', { class: 'sr', text: `${Math.round(pct)}%` }) : null,
  );
}

// Tabs that are links (hash routes) or buttons.
export function tabs(items, current) {
  return h(
    'div',
    { class: 'tabs', role: 'tablist' },
    items.map((i) => h(i.href ? 'a' : 'button', { class: ['tab', i.id === current && 'active'], href: i.href, type: i.href ? null : 'button', role: 'tab', 'aria-selected': String(i.id === current), onclick: i.onclick }, i.icon && icon(i.icon), h('span', { text: i.label }), i.count != null && h('span', { class: 'tab-count', text: String(i.count) }))),
  );
}

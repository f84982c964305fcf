// The operator console (/platform/): the platform API with the operator's token, which the operator pastes
// once per browser tab (kept in sessionStorage, never in localStorage). Tenants with their plan, status,
// this month's usage and health; create one (onboarding: owner login, widget key, snippet, shown once);
// change its plan and limit overrides; suspend, reactivate, delete (soft) and restore; the plans.
// Hash routes: #/tenants?status=…, #/tenant?id=…, #/plans. docs/web.md describes it.
import { apiClient } from '../shared/http.js';
import { h, icon, mount } from '../shared/dom.js';
import { makeI18n } from '../shared/i18n.js';
import { badge, button, card, codeBlock, confirm, dialog, empty, errorBox, meter, pageHeader, rowLink, spinner, table, tabs, toast, uiInit, describe } from '../shared/ui.js';
import { form } from '../shared/form.js';
import { dailyChart } from '../shared/chart.js';
import { fmtInstant, fmtNumber, zones } from '../shared/format.js';
import { TEXTS } from './i18n.js';

const TOKEN = 'bookchat-platform-token';
const LANG = 'bookchat-platform-lang';
const STATUS_KIND = { ACTIVE: 'ok', SUSPENDED: 'warn', DELETED: 'bad' };

const ss = {
  get: (k) => {
    try {
      return sessionStorage.getItem(k);
    } catch {
      return null;
    }
  },
  set: (k, v) => {
    try {
      if (v == null) sessionStorage.removeItem(k);
      else sessionStorage.setItem(k, v);
    } catch {
      /* blocked: the token lasts as long as the page */
    }
  },
};
let lang0 = null;
try {
  lang0 = localStorage.getItem(LANG);
} catch {
  lang0 = null;
}
const t = makeI18n(TEXTS, lang0 || navigator.language);
uiInit(t);

const app = document.getElementById('app');
let token = ss.get(TOKEN);
let shell = null;
let plans = [];
let seq = 0;
let features = { usage: true, health: true }; // turned off when the server answers 404

const api = apiClient({ token: () => token, onUnauthorized: () => shell && signOut(t('login.rejected')) });
const go = (path, params) => {
  const q = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '')).toString() : '';
  const next = `#/${path}${q ? '?' + q : ''}`;
  if (location.hash === next) render();
  else location.hash = next;
};

function signOut(message) {
  token = null;
  shell = null;
  ss.set(TOKEN, null);
  showLogin(message);
}

function setLang(l) {
  t.set(l);
  try {
    localStorage.setItem(LANG, t.lang());
  } catch {
    /* not remembered */
  }
  if (shell) {
    buildShell();
    render();
  } else showLogin();
}

const langSeg = () =>
  h(
    'div',
    { class: 'seg', role: 'group', 'aria-label': t('ui.language') },
    ['en', 'es'].map((l) => h('button', { type: 'button', lang: l, 'aria-pressed': String(t.lang() === l), text: l.toUpperCase(), onclick: () => setLang(l) })),
  );

function showLogin(message) {
  app.removeAttribute('aria-busy');
  const input = h('input', { id: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
  const err = h('div', { class: 'alert alert-error', role: 'alert', hidden: !message }, icon('alert'), h('p', { text: message || '' }));
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', text: t('login.submit') });
  mount(
    app,
    h(
      'div',
      { class: 'auth' },
      h(
        'div',
        { class: 'auth-box' },
        h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, icon('shield')), h('span', { text: 'bookchat' })),
        h('h1', { text: t('login.title') }),
        h('p', { class: 'muted', text: t('login.lead') }),
        h(
          'form',
          {
            onsubmit: async (e) => {
              e.preventDefault();
              submit.disabled = true;
              token = input.value.trim();
              try {
                plans = (await api.get('/v1/platform/plans')).items;
                ss.set(TOKEN, token);
                start();
              } catch (x) {
                token = null;
                err.hidden = false;
                err.querySelector('p').textContent = x.status === 401 ? t('login.wrong') : x.status === 404 ? t('login.off') : describe(x);
                submit.disabled = false;
              }
            },
          },
          err,
          h('div', { class: 'field' }, h('label', { for: 'token', text: t('login.token') }), input, h('p', { class: 'hint', text: t('login.tokenHint') })),
          submit,
        ),
        h('div', { class: 'auth-foot' }, h('span', { class: 'muted', text: t('login.session') }), langSeg()),
      ),
    ),
  );
  input.focus();
}

async function start() {
  mount(app, spinner());
  try {
    if (!plans.length) plans = (await api.get('/v1/platform/plans')).items;
  } catch (e) {
    if (e.status === 401 || !token) return;
    if (e.status === 404) return signOut(t('login.off'));
    mount(app, h('div', { class: 'auth' }, h('div', { class: 'auth-box' }, errorBox(e, start))));
    return;
  }
  buildShell();
  render();
}

function buildShell() {
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': t('nav.label') },
    h('a', { href: '#/tenants', dataset: { route: 'tenants' } }, icon('building'), h('span', { text: t('nav.tenants') })),
    h('a', { href: '#/plans', dataset: { route: 'plans' } }, icon('list'), h('span', { text: t('nav.plans') })),
  );
  const crumb = h('div', { class: 'crumb' });
  const main = h('main', { class: 'content', id: 'main', tabindex: '-1' });
  const root = h(
    'div',
    { class: 'app' },
    h(
      'aside',
      { class: 'sidebar' },
      h('a', { class: 'brand', href: '#/tenants' }, h('span', { class: 'brand-mark' }, icon('shield')), h('span', {}, 'bookchat', h('small', { class: 'op-tag', text: t('nav.console') }))),
      nav,
      h('div', { class: 'sidebar-foot' }, h('div', { class: 'who', text: t('nav.operator') }), h('div', { class: 'role', text: location.host })),
    ),
    h('div', { class: 'scrim', onclick: () => root.classList.remove('nav-open') }),
    h(
      'div',
      { class: 'main' },
      h(
        'header',
        { class: 'topbar' },
        h('button', { class: 'btn btn-ghost btn-icon menu-btn', type: 'button', 'aria-label': t('nav.menu'), onclick: () => root.classList.toggle('nav-open') }, icon('menu')),
        crumb,
        h('div', { class: 'spacer' }),
        langSeg(),
        h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => signOut(), title: t('nav.signOutHint') }, icon('logout'), h('span', { class: 'account-name', text: t('nav.signOut') })),
      ),
      main,
    ),
  );
  nav.addEventListener('click', () => root.classList.remove('nav-open'));
  app.removeAttribute('aria-busy');
  mount(app, root);
  shell = { main, nav, crumb };
}

async function render() {
  if (!shell) return;
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const params = new URLSearchParams(query || '');
  const route = path === 'plans' ? 'plans' : path === 'tenant' && params.get('id') ? 'tenant' : 'tenants';
  for (const a of shell.nav.querySelectorAll('a')) {
    const on = a.dataset.route === (route === 'tenant' ? 'tenants' : route);
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const my = ++seq;
  const ctx = { params, main: shell.main, current: () => my === seq };
  shell.main.dataset.screen = route;
  mount(shell.main, spinner());
  shell.crumb.textContent = t('nav.' + (route === 'tenant' ? 'tenants' : route));
  document.title = `${shell.crumb.textContent} · bookchat`;
  try {
    if (route === 'plans') await plansScreen(ctx);
    else if (route === 'tenant') await tenantScreen(ctx, params.get('id'));
    else await tenantsScreen(ctx);
  } catch (e) {
    if (e.status === 401 || my !== seq) return;
    mount(shell.main, errorBox(e, render));
  }
}

// This month's usage of a tenant, or null when the server has no usage API.
async function usageOf(id) {
  if (!features.usage) return null;
  try {
    return (await api.get(`/v1/platform/tenants/${id}/usage`)).usage;
  } catch (e) {
    if (e.status === 404 && e.code === 'not_found' && /resource|route/i.test(e.message || '')) features.usage = false;
    return null;
  }
}

const planOf = (name) => plans.find((p) => p.name === name);
const num = (n) => fmtNumber(n, t.lang());
const scoreKind = (s) => (s >= 80 ? 'ok' : s >= 50 ? 'warn' : 'bad');

// ---------- tenants ----------
async function tenantsScreen(ctx) {
  const status = ['ACTIVE', 'SUSPENDED', 'DELETED'].includes(ctx.params.get('status')) ? ctx.params.get('status') : '';
  const [list, health] = await Promise.all([
    api.all('/v1/platform/tenants', status ? { status } : {}, 2000),
    features.health
      ? api.get('/v1/platform/health', { limit: 1000 }).then(
          (r) => r.items,
          () => ((features.health = false), null),
        )
      : null,
  ]);
  if (!ctx.current()) return;
  const scores = Object.fromEntries((health || []).map((x) => [x.tenant_id, x.score]));
  let filter = '';
  const usageCells = {};
  const usageCell = (tn) => (usageCells[tn.id] = h('div', { class: 'usage-cell', dataset: { tenant: tn.id } }, h('span', { class: 'muted', text: '…' })));
  const cols = [
    { label: t('tenants.name'), cls: 'lead', cell: (tn) => h('div', {}, h('span', { class: 'cell-main' }, rowLink(tn.name, () => go('tenant', { id: tn.id }))), h('span', { class: 'cell-sub mono', text: tn.id })) },
    { label: t('tenants.plan'), cell: (tn) => badge(tn.plan || '—', 'info') },
    { label: t('tenants.status'), cell: (tn) => badge(t('status.' + tn.status), STATUS_KIND[tn.status]) },
    { label: t('tenants.messages'), cell: (tn) => usageCell(tn) },
  ];
  if (health) cols.push({ label: t('tenants.health'), cell: (tn) => (scores[tn.id] != null ? h('span', { class: 'score ' + scoreKind(scores[tn.id]), text: String(scores[tn.id]) }) : '—') });
  cols.push({ label: t('tenants.created'), cell: (tn) => fmtInstant(tn.created_at, t.lang(), undefined, { dateStyle: 'medium' }) });
  const box = h('div');
  const draw = () => {
    const rows = list.filter((tn) => !filter || tn.name.toLowerCase().includes(filter) || tn.id.toLowerCase().includes(filter));
    mount(box, rows.length ? card(null, table(cols, rows, { onRow: (tn) => go('tenant', { id: tn.id }), rowClass: (tn) => (tn.status === 'DELETED' ? 'dim' : null), caption: t('nav.tenants') }), { cls: 'flush' }) : card(null, empty('building', t('tenants.none'), filter ? t('tenants.noneMatch') : t('tenants.noneText'))));
    fillUsage(rows);
  };
  const search = h('div', { class: 'search' }, icon('search'), h('input', { type: 'search', placeholder: t('tenants.search'), 'aria-label': t('tenants.search'), oninput: (e) => ((filter = e.target.value.trim().toLowerCase()), draw()) }));
  mount(
    ctx.main,
    pageHeader(t('nav.tenants'), t('tenants.lead', { n: list.length }), button(t('tenants.new'), { kind: 'primary', ico: 'plus', onclick: () => createTenant(list.filter((tn) => !tn.parent_id && tn.status !== 'DELETED')) })),
    tabs(
      [
        { id: '', label: t('tenants.all'), href: '#/tenants' },
        { id: 'ACTIVE', label: t('status.ACTIVE'), href: '#/tenants?status=ACTIVE' },
        { id: 'SUSPENDED', label: t('status.SUSPENDED'), href: '#/tenants?status=SUSPENDED' },
        { id: 'DELETED', label: t('status.DELETED'), href: '#/tenants?status=DELETED' },
      ],
      status,
    ),
    h('div', { class: 'toolbar' }, search),
    box,
  );
  draw();

  // usage, a few tenants at a time, after the table is on screen
  async function fillUsage(rows) {
    const queue = rows.slice(0, 200);
    const worker = async () => {
      for (let tn; (tn = queue.shift()); ) {
        const u = await usageOf(tn.id);
        if (!ctx.current()) return;
        const cell = usageCells[tn.id];
        if (!cell) continue;
        if (!u) {
          mount(cell, h('span', { class: 'muted', text: '—' }));
          continue;
        }
        const used = u.totals.messages || 0, lim = u.limits && u.limits.messages_month;
        const pct = lim ? Math.min(100, (used / lim) * 100) : 0;
        mount(
          cell,
          h('span', { text: `${num(used)}${lim != null ? ' / ' + num(lim) : ''}` }),
          h('span', { class: 'muted small', text: ` · ${t('tenants.bookingsN', { n: num(u.totals.bookings || 0) })}` }),
          lim ? h('span', { class: 'bar' }, h('span', { class: pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : '', style: { width: pct + '%' } })) : null,
        );
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }
}

// orgs: the tenants that may take branches (not branches themselves, not deleted), from the list shown.
function createTenant(orgs = []) {
  const f = form(
    [
      { name: 'name', label: t('create.name'), required: true, maxlength: 120, wide: true, placeholder: t('create.namePlaceholder') },
      { name: 'plan', label: t('tenants.plan'), type: 'select', options: plans.map((p) => ({ value: p.name, label: `${p.name}${p.price_usd != null ? ` · $${p.price_usd}` : ''}` })) },
      { name: 'locale', label: t('create.locale'), type: 'select', options: [{ value: 'es', label: 'Español' }, { value: 'en', label: 'English' }] },
      { name: 'timezone', label: t('create.timezone'), type: 'select', wide: true, options: zones('Europe/Madrid').map((z) => ({ value: z, label: z })) },
      { name: 'origins', label: t('create.origins'), type: 'lines', wide: true, rows: 2, placeholder: 'https://www.example.com', hint: t('create.originsHint') },
      { name: 'owner_email', label: t('create.ownerEmail'), type: 'email', hint: t('create.ownerEmailHint') },
      { name: 'owner_name', label: t('create.ownerName'), maxlength: 120 },
      {
        name: 'parent_id',
        label: t('create.parent'),
        type: 'select',
        wide: true,
        hint: t('create.parentHint'),
        options: [{ value: '', label: t('create.noParent') }, ...orgs.map((o) => ({ value: o.id, label: `${o.name} · ${o.id}` }))],
      },
      { name: 'sample', label: t('create.sample'), type: 'checkbox', wide: true, hint: t('create.sampleHint') },
    ],
    { plan: plans.some((p) => p.name === 'PRO') ? 'PRO' : plans[0] && plans[0].name, locale: 'es', timezone: 'Europe/Madrid', sample: true },
    { t },
  );
  dialog({
    title: t('tenants.new'),
    body: f.el,
    wide: true,
    cls: 'create-dialog',
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('create.submit'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const body = { name: v.name, plan: v.plan, locale: v.locale, timezone: v.timezone, empty: !v.sample };
          if (v.origins.length) body.origins = v.origins;
          if (v.owner_email) body.owner_email = v.owner_email;
          if (v.owner_name) body.owner_name = v.owner_name;
          if (v.parent_id) body.parent_id = v.parent_id;
          const r = await api.post('/v1/platform/tenants', body);
          onboarding(r);
        },
      },
    ],
  });
}

// The onboarding result: everything the new business needs, shown this once.
function onboarding(r) {
  const admin = `${location.origin}/admin/`;
  const snippet = r.snippet || (r.api_key && r.api_key.snippet) || `<script src="${location.origin}/widget.js" data-key="${r.api_key.secret}" async></script>`;
  dialog({
    title: t('onboard.title', { name: r.tenant.name }),
    wide: true,
    cls: 'onboard-dialog',
    body: h(
      'div',
      { class: 'onboard' },
      h('div', { class: 'alert alert-warn' }, icon('alert'), h('p', { text: t('onboard.once') })),
      h(
        'dl',
        { class: 'details' },
        h('div', { class: 'detail' }, h('dt', { text: t('onboard.tenant') }), h('dd', { class: 'mono', text: r.tenant.id })),
        h('div', { class: 'detail' }, h('dt', { text: t('tenants.plan') }), h('dd', { text: r.tenant.plan })),
      ),
      h('h3', { text: t('onboard.login') }),
      h('p', { class: 'hint' }, t('onboard.loginHint'), ' ', h('a', { href: admin, target: '_blank', rel: 'noopener', text: admin })),
      codeBlock(`${t('onboard.email')}: ${r.owner.email}\n${t('onboard.password')}: ${r.owner.password}`, { secret: true, label: t('onboard.copyLogin') }),
      h('h3', { text: t('onboard.snippet') }),
      h('p', { class: 'hint', text: (r.api_key.origins || []).length ? t('onboard.snippetHint', { origins: r.api_key.origins.join(', ') }) : t('onboard.snippetHintNone') }),
      h('div', { class: 'snippet' }, codeBlock(snippet, { label: t('onboard.copySnippet') })),
      h('h3', { text: t('onboard.key') }),
      codeBlock(r.api_key.secret, { secret: true }),
      h('p', { class: 'hint' }, h('a', { href: `/demo/?key=${encodeURIComponent(r.api_key.secret)}`, target: '_blank', rel: 'noopener', text: t('onboard.demo') })),
    ),
    actions: [
      { label: t('onboard.open'), onClick: () => go('tenant', { id: r.tenant.id }) },
      { label: t('onboard.done'), kind: 'primary', onClick: () => render() },
    ],
  });
}

// ---------- one tenant ----------
async function tenantScreen(ctx, id) {
  const [r, usage] = await Promise.all([api.get(`/v1/platform/tenants/${id}`), usageOf(id)]);
  if (!ctx.current()) return;
  const tn = r.tenant, lim = r.limits || {}, over = tn.limits || {};
  const plan = planOf(tn.plan) || {};
  const L = t.lang();

  const overview = card(
    t('tenant.overview'),
    h(
      'dl',
      { class: 'details' },
      [
        [t('tenant.id'), h('span', { class: 'mono', text: tn.id })],
        [t('tenants.plan'), tn.plan],
        [t('create.locale'), tn.locale === 'en' ? 'English' : 'Español'],
        [t('create.timezone'), tn.timezone],
        [t('tenants.created'), fmtInstant(tn.created_at, L)],
        [t('tenant.updated'), fmtInstant(tn.updated_at, L)],
        tn.deleted_at && [t('tenant.deletedAt'), fmtInstant(tn.deleted_at, L)],
        tn.parent_id && [t('tenant.parent'), tn.parent_id],
        tn.home_region && [t('tenant.homeRegion'), h('span', { class: 'mono', text: tn.home_region })],
      ]
        .filter(Boolean)
        .map(([k, v]) => h('div', { class: 'detail' }, h('dt', { text: k }), h('dd', {}, v))),
    ),
  );

  // plan and overrides: blank = the plan's value; "no limit" = an explicit null override
  const planSel = h('select', { id: 'plan-select' }, plans.map((p) => h('option', { value: p.name, text: p.name, selected: p.name === tn.plan })));
  const LIMITS = [
    ['messages_month', true],
    ['bookings_month', true],
    ['providers', true],
    ['ai_tokens_month', true],
    ['rate_per_s', false],
    ['burst', false],
  ];
  const rows = {};
  const planValue = (k) => {
    const p = planOf(planSel.value) || {};
    return p[k] === null ? t('ui.unlimited') : p[k] == null ? '—' : num(p[k]);
  };
  const limitRows = LIMITS.map(([k, nullable]) => {
    const input = h('input', { type: 'number', min: k === 'rate_per_s' || k === 'burst' ? 1 : 0, step: 'any', value: over[k] != null ? over[k] : '', 'aria-label': t('limit.' + k), dataset: { limit: k } });
    const unl = nullable ? h('input', { type: 'checkbox', checked: k in over && over[k] === null, 'aria-label': `${t('limit.' + k)}: ${t('ui.unlimited')}` }) : null;
    const pv = h('span', { class: 'plan-value', text: planValue(k) });
    if (unl) unl.addEventListener('change', () => (input.disabled = unl.checked));
    input.disabled = !!(unl && unl.checked);
    rows[k] = { input, unl, pv };
    return h('tr', {}, h('td', { text: t('limit.' + k) }), h('td', {}, pv), h('td', {}, input), h('td', {}, unl ? h('label', { class: 'check' }, unl, h('span', { text: t('ui.unlimited') })) : null));
  });
  planSel.addEventListener('change', () => {
    for (const [k] of LIMITS) rows[k].pv.textContent = planValue(k);
  });
  const limitsCard = card(
    t('tenant.planLimits'),
    h(
      'form',
      {
        class: 'limits-form',
        onsubmit: async (e) => {
          e.preventDefault();
          const limits = {};
          for (const [k] of LIMITS) {
            const { input, unl } = rows[k];
            if (unl && unl.checked) limits[k] = null;
            else if (input.value !== '') limits[k] = Number(input.value);
          }
          try {
            await api.patch(`/v1/platform/tenants/${id}`, { plan: planSel.value, limits });
            toast(t('tenant.saved'));
            render();
          } catch (x) {
            toast(describe(x), 'error');
          }
        },
      },
      h('div', { class: 'plan-row' }, h('div', { class: 'field' }, h('label', { for: 'plan-select', text: t('tenants.plan') }), planSel), h('p', { class: 'hint', text: t('tenant.planHint') })),
      h('table', { class: 'limits' }, h('thead', {}, h('tr', {}, [t('tenant.limit'), t('tenant.planValue'), t('tenant.override'), ''].map((x) => h('th', { text: x })))), h('tbody', {}, limitRows)),
      h('p', { class: 'hint', text: t('tenant.overrideHint') }),
      h('div', { class: 'save-bar' }, button(t('tenant.savePlan'), { kind: 'primary', type: 'submit', ico: 'check' })),
    ),
  );

  const month = new Intl.DateTimeFormat(L, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date());
  let usageBody;
  if (usage) {
    const tot = usage.totals || {};
    usageBody = [
      meter(t('limit.messages_month'), tot.messages || 0, lim.messages_month ?? null, num),
      meter(t('limit.bookings_month'), tot.bookings || 0, lim.bookings_month ?? null, num),
      lim.ai_tokens_month ? meter(t('limit.ai_tokens_month'), (tot.ai_tokens && tot.ai_tokens.total) || 0, lim.ai_tokens_month, num) : null,
      h('p', { class: 'hint usage-extra', text: t('tenant.usageExtra', { conv: num(tot.conversations || 0), booked: num(tot.conversations_booked || 0), handoffs: num(tot.handoffs || 0), errors: num(((tot.errors || {})['5xx'] || 0) + ((tot.errors || {})['4xx'] || 0)) }) }),
      usage.days && usage.days.length ? dailyChart({ days: usage.days.map((d) => d.date), lang: L, height: 160, series: [{ label: t('limit.messages_month'), color: '#4f46e5', values: usage.days.map((d) => d.messages || 0) }, { label: t('limit.bookings_month'), color: '#0f766e', values: usage.days.map((d) => d.bookings || 0) }] }) : null,
    ];
  } else usageBody = [meter(t('limit.messages_month'), null, lim.messages_month ?? null, num), meter(t('limit.bookings_month'), null, lim.bookings_month ?? null, num), empty('activity', t('tenant.noUsage'), t('tenant.noUsageText'))];
  const usageCard = card(t('tenant.usage', { month }), usageBody, { cls: 'usage-card' });

  const healthCard =
    r.health && r.health.score != null
      ? card(t('tenant.health'), [
          h('div', { class: 'health-top' }, h('span', { class: 'big', text: String(r.health.score) }), h('span', { class: 'score ' + scoreKind(r.health.score), text: t('health.' + scoreKind(r.health.score)) })),
          (r.health.reasons || []).length ? h('ul', { class: 'reasons' }, r.health.reasons.map((x) => h('li', {}, h('span', { text: x.detail || x.factor }), h('strong', { text: `−${x.penalty}` })))) : h('p', { class: 'muted', text: t('health.fine') }),
        ])
      : null;

  // status: suspend / reactivate, delete / restore
  const acts = [];
  if (tn.status === 'ACTIVE')
    acts.push(
      button(t('tenant.suspend'), {
        ico: 'ban',
        onclick: async () => {
          if (!(await confirm({ title: t('tenant.suspendTitle', { name: tn.name }), text: t('tenant.suspendText'), confirmLabel: t('tenant.suspend'), danger: true }))) return;
          await act(() => api.patch(`/v1/platform/tenants/${id}`, { status: 'SUSPENDED' }), t('tenant.suspended'));
        },
      }),
    );
  if (tn.status === 'SUSPENDED') acts.push(button(t('tenant.activate'), { kind: 'primary', ico: 'restore', onclick: () => act(() => api.patch(`/v1/platform/tenants/${id}`, { status: 'ACTIVE' }), t('tenant.activated')) }));
  if (tn.status === 'DELETED') acts.push(button(t('tenant.restore'), { kind: 'primary', ico: 'restore', onclick: () => act(() => api.post(`/v1/platform/tenants/${id}/restore`), t('tenant.restored')) }));
  else
    acts.push(
      button(t('tenant.delete'), {
        kind: 'danger',
        ico: 'trash',
        onclick: async () => {
          if (!(await confirm({ title: t('tenant.deleteTitle', { name: tn.name }), text: t('tenant.deleteText'), confirmLabel: t('tenant.delete'), danger: true }))) return;
          await act(() => api.del(`/v1/platform/tenants/${id}`), t('tenant.deleted'));
        },
      }),
    );
  const statusCard = card(t('tenant.statusTitle'), [h('p', { class: 'muted', text: t('tenant.statusText.' + tn.status) }), h('div', { class: 'actions-row' }, acts)], { cls: 'danger-zone' });

  mount(
    ctx.main,
    h('a', { class: 'btn btn-ghost btn-sm back-link', href: '#/tenants' }, icon('back'), h('span', { text: t('nav.tenants') })),
    pageHeader(tn.name, null),
    h('div', { class: 'tenant-head-badges' }),
    h('div', { class: 'grid grid-main' }, h('div', { class: 'col' }, usageCard, limitsCard), h('div', { class: 'col' }, overview, healthCard, statusCard)),
  );
  ctx.main.querySelector('.page-title h1').after(h('div', { class: 'tenant-head' }, badge(t('status.' + tn.status), STATUS_KIND[tn.status]), badge(tn.plan, 'info')));
}

async function act(fn, done) {
  try {
    await fn();
    toast(done);
  } catch (e) {
    toast(describe(e), 'error');
  }
  render();
}

// ---------- plans ----------
async function plansScreen(ctx) {
  plans = (await api.get('/v1/platform/plans')).items;
  if (!ctx.current()) return;
  const lim = (v) => (v === null ? t('ui.unlimited') : v == null ? '—' : num(v));
  mount(
    ctx.main,
    pageHeader(t('nav.plans'), t('plans.lead'), button(t('plans.new'), { kind: 'primary', ico: 'plus', onclick: () => editPlan(null) })),
    card(
      null,
      table(
        [
          { label: t('plans.name'), cls: 'lead', cell: (p) => h('span', { class: 'cell-main' }, rowLink(p.name, () => editPlan(p))) },
          { label: t('plans.price'), cls: 'num', cell: (p) => (p.price_usd == null ? '—' : `$${num(p.price_usd)}`) },
          { label: t('limit.messages_month'), cls: 'num', cell: (p) => lim(p.messages_month) },
          { label: t('limit.bookings_month'), cls: 'num', cell: (p) => lim(p.bookings_month) },
          { label: t('limit.providers'), cls: 'num', cell: (p) => lim(p.providers) },
          { label: t('plans.ai'), cell: (p) => (p.ai_modes || []).join(', ') },
          { label: t('limit.ai_tokens_month'), cls: 'num', cell: (p) => lim(p.ai_tokens_month) },
          { label: t('limit.rate_per_s'), cls: 'num', cell: (p) => `${num(p.rate_per_s)} / ${num(p.burst)}` },
        ],
        plans,
        { onRow: editPlan, caption: t('nav.plans') },
      ),
      { cls: 'flush' },
    ),
  );
}

function editPlan(p) {
  const nullable = (k) => ({ name: k, label: t('limit.' + k), type: 'number', min: 0, step: 1, hint: t('plans.blankUnlimited') });
  const f = form(
    [
      { name: 'name', label: t('plans.name'), required: true, pattern: '[A-Z0-9_]{1,32}', hint: t('plans.nameHint'), attrs: { readonly: !!p } },
      { name: 'price_usd', label: t('plans.price'), type: 'number', min: 0, step: 1 },
      nullable('messages_month'),
      nullable('bookings_month'),
      nullable('providers'),
      nullable('ai_tokens_month'),
      { name: 'rate_per_s', label: t('limit.rate_per_s'), type: 'number', min: 1, step: 'any', required: true },
      { name: 'burst', label: t('limit.burst'), type: 'number', min: 1, step: 'any', required: true },
      { name: 'ai_modes', label: t('plans.ai'), type: 'checks', wide: true, options: ['fsm', 'nlp', 'agent'].map((m) => ({ value: m, label: m })) },
    ],
    p || { rate_per_s: 20, burst: 60, ai_modes: ['fsm'] },
    { t },
  );
  dialog({
    title: p ? t('plans.edit', { name: p.name }) : t('plans.new'),
    body: [h('p', { class: 'hint', text: t('plans.editHint') }), f.el],
    wide: true,
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('ui.save'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const name = v.name;
          delete v.name;
          await api.put(`/v1/platform/plans/${encodeURIComponent(name)}`, v);
          toast(t('plans.saved'));
          render();
        },
      },
    ],
  });
}

window.addEventListener('hashchange', render);
if (token) start();
else showLogin();

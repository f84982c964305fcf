// The admin panel (/admin/) for a business's staff: sign-in, then a shell (sidebar, top bar) whose content
// is one screen per hash route (#/bookings?view=week&date=…; the server serves only files that exist, so
// the routes live after the #). Each screen is a module in screens/ with render(ctx). The session (the JWT
// from POST /v1/auth/login) is kept in localStorage; the language is the business's, switchable, and the
// choice is remembered. Roles: viewers get no edit controls, owners also see users and the audit log.
// docs/web.md ("The admin panel") describes the structure and how to add a screen.
import { apiClient } from '../shared/http.js';
import { h, icon, mount } from '../shared/dom.js';
import { makeI18n, pickLang } from '../shared/i18n.js';
import { uiInit, errorBox, spinner, dialog, toast } from '../shared/ui.js';
import { form } from '../shared/form.js';
import { TEXTS } from './i18n.js';
import { renderLogin } from './screens/login.js';
import dashboard from './screens/dashboard.js';
import bookings from './screens/bookings.js';
import conversations from './screens/conversations.js';
import services from './screens/services.js';
import providers from './screens/providers.js';

const SESSION = 'bookchat-admin-session';
const BRANCH = 'bookchat-admin-branch'; // the branch an organisation's staff is acting on (X-Tenant-Id)
const LANG = 'bookchat-admin-lang';

// The sidebar, in order: route, screen, icon, group; owner: only for owners. The screens staff use every
// day are in the page's script; the rest (load) are fetched the first time they are opened, each in its own
// chunk, so the panel's first download stays small (docs/web.md, "Size"). The string literals in import()
// are what lets esbuild split them off.
const ROUTES = [
  { path: 'dashboard', screen: dashboard, icon: 'home' },
  { path: 'bookings', screen: bookings, icon: 'calendar' },
  { path: 'conversations', screen: conversations, icon: 'chat', badge: 'handoffs' },
  { path: 'waitlist', load: () => import('./screens/waitlist.js'), icon: 'clock' },
  { path: 'services', screen: services, icon: 'tag', group: 'nav.catalog' },
  { path: 'resources', load: () => import('./screens/resources.js'), icon: 'building' },
  { path: 'professionals', screen: providers, icon: 'pro' },
  { path: 'exceptions', load: () => import('./screens/exceptions.js'), icon: 'calendar-off' },
  { path: 'settings', load: () => import('./screens/settings.js'), icon: 'settings', group: 'nav.setup' },
  { path: 'assistant', load: () => import('./screens/assistant.js'), icon: 'sparkles' },
  { path: 'notifications', load: () => import('./screens/notifications.js'), icon: 'mail' },
  { path: 'widget', load: () => import('./screens/keys.js'), icon: 'key' },
  { path: 'channels', load: () => import('./screens/channels.js'), icon: 'chat' },
  { path: 'users', load: () => import('./screens/users.js'), icon: 'users', owner: true },
  { path: 'audit', load: () => import('./screens/audit.js'), icon: 'audit', owner: true },
];

// A route's screen module: at hand, or its chunk fetched (the browser keeps it after the first time). A
// chunk that cannot be fetched (offline, or a new version of bookchat whose chunks have other names) is an
// error the panel can explain, rather than a blank screen.
async function screenOf(r) {
  if (r.screen) return r.screen;
  try {
    return (await r.load()).default;
  } catch (e) {
    throw Object.assign(new Error(t('ui.screenFailed'), { cause: e }), { chunk: true });
  }
}

const store = {
  get(k) {
    try {
      return JSON.parse(localStorage.getItem(k));
    } catch {
      return null;
    }
  },
  set(k, v) {
    try {
      if (v == null) localStorage.removeItem(k);
      else localStorage.setItem(k, JSON.stringify(v));
    } catch {
      /* storage blocked: the session lasts as long as the page */
    }
  },
};

const app = document.getElementById('app');
const t = makeI18n(TEXTS, store.get(LANG) || navigator.language);
uiInit(t);

let session = store.get(SESSION); // {token, email}
let me = null; // {user, tenant, limits, org_id?}
let branch = store.get(BRANCH); // a branch id, or null: the credential's own tenant
let org = null; // {id, name, branches: [{id, name}]} when the user's tenant has branches
let shell = null; // {main, nav, crumb}
let renderSeq = 0;
const counts = { handoffs: 0 };

const api = apiClient({
  token: () => session && session.token,
  tenant: () => branch,
  onUnauthorized: () => session && signOut(t('login.expired')),
});

function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  return { path: path || 'dashboard', params: new URLSearchParams(query || '') };
}

export function go(path, params) {
  const q = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '')).toString() : '';
  const next = '#/' + path + (q ? '?' + q : '');
  if (location.hash === next) render();
  else location.hash = next;
}

function signOut(message) {
  session = null;
  me = null;
  shell = null;
  branch = null;
  org = null;
  store.set(SESSION, null);
  store.set(BRANCH, null);
  showLogin(message);
}

function showLogin(message) {
  app.className = '';
  app.removeAttribute('aria-busy');
  renderLogin(app, {
    t,
    api,
    message,
    setLang,
    async onSignedIn(login) {
      session = { token: login.token, email: login.user.email };
      store.set(SESSION, session);
      await start();
    },
  });
}

function setLang(l, remember = true) {
  t.set(l);
  if (remember) store.set(LANG, t.lang());
  if (me) {
    buildShell();
    render();
  }
}

async function start() {
  mount(app, spinner(t('ui.loading')));
  try {
    me = await api.get('/v1/admin/me');
    org = null;
    // an organisation's owners and admins get a switcher between the organisation and its branches
    if (me.user.role === 'owner' || me.user.role === 'admin') {
      const list = await api.get('/v1/admin/org/branches');
      if (list.items.length) {
        org = { id: list.organisation.id, name: list.organisation.name, branches: list.items.map((b) => ({ id: b.id, name: b.name })) };
      }
    }
  } catch (e) {
    if (e.status === 403 && branch) {
      // the branch is no longer ours to act on: back to the organisation
      branch = null;
      store.set(BRANCH, null);
      return start();
    }
    if (e.status === 401) return; // onUnauthorized shows the sign-in
    if (e.status === 403 || e.status === 410) return signOut(t('login.unavailable'));
    mount(app, h('div', { class: 'auth' }, h('div', { class: 'auth-box' }, errorBox(e, start))));
    return;
  }
  if (!store.get(LANG)) t.set(pickLang(me.tenant.locale)); // the business's language until one is chosen
  buildShell();
  refreshCounts();
  render();
}

const can = () => ({ write: me.user.role === 'owner' || me.user.role === 'admin', owner: me.user.role === 'owner' });

// Re-opens the panel on a branch (null: the organisation itself).
function switchBranch(id) {
  branch = id;
  store.set(BRANCH, branch);
  shell = null;
  start();
}

// The organisation and its branches, for its owners and admins: choosing one re-opens the panel on it.
function branchSwitcher() {
  if (!org) return null;
  const current = branch || org.id;
  const options = [{ id: org.id, name: t('org.self', { name: org.name }) }, ...org.branches];
  return h(
    'label',
    { class: 'branch-switch' },
    h(
      'select',
      {
        'aria-label': t('org.switch'),
        dataset: { testid: 'branch-switch' },
        onchange: (e) => switchBranch(e.target.value === org.id ? null : e.target.value),
      },
      options.map((o) => h('option', { value: o.id, selected: o.id === current, text: o.name })),
    ),
  );
}

function buildShell() {
  const c = can();
  const navItems = [];
  for (const r of ROUTES) {
    if (r.owner && !c.owner) continue;
    if (r.group) navItems.push(h('div', { class: 'nav-group', text: t(r.group) }));
    navItems.push(
      h('a', { href: '#/' + r.path, dataset: { route: r.path } }, icon(r.icon), h('span', { text: t('nav.' + r.path) }), r.badge && h('span', { class: 'count', dataset: { badge: r.badge }, hidden: true })),
    );
  }
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.label') }, navItems);
  const crumb = h('div', { class: 'crumb' });
  const main = h('main', { class: 'content', id: 'main', tabindex: '-1' });
  const langSeg = h(
    'div',
    { class: 'seg', role: 'group', 'aria-label': t('ui.language') },
    ['es', 'en'].map((l) => h('button', { type: 'button', lang: l, 'aria-pressed': String(t.lang() === l), text: l.toUpperCase(), title: t('lang.' + l), onclick: () => setLang(l) })),
  );
  const roleName = t('role.' + me.user.role);
  const root = h(
    'div',
    { class: 'app' },
    h(
      'aside',
      { class: 'sidebar', 'aria-label': t('nav.label') },
      h('a', { class: 'brand', href: '#/dashboard' }, h('span', { class: 'brand-mark' }, icon('chat')), h('span', {}, 'bookchat', h('small', { text: me.tenant.name }))),
      nav,
      h(
        'div',
        { class: 'sidebar-foot' },
        h('div', { class: 'who', text: me.user.name && me.user.name !== 'Owner' ? me.user.name : me.user.email, title: me.user.email }),
        h('div', { class: 'role', dataset: { role: me.user.role }, text: roleName }),
      ),
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
        branchSwitcher(),
        langSeg,
        h('button', { class: 'btn btn-ghost btn-sm account-btn', type: 'button', onclick: account, title: t('account.title') }, icon('user'), h('span', { class: 'account-name', text: roleName })),
        h('button', { class: 'btn btn-ghost btn-icon', type: 'button', 'aria-label': t('account.signOut'), title: t('account.signOut'), onclick: () => signOut() }, icon('logout')),
      ),
      main,
    ),
  );
  nav.addEventListener('click', (e) => e.target.closest('a') && root.classList.remove('nav-open'));
  app.className = '';
  app.removeAttribute('aria-busy');
  mount(app, root);
  shell = { root, main, nav, crumb };
  showCounts();
}

function showCounts() {
  if (!shell) return;
  for (const b of shell.nav.querySelectorAll('[data-badge]')) {
    const n = counts[b.dataset.badge];
    b.hidden = !n;
    b.textContent = String(n);
    b.setAttribute('aria-label', t('nav.pending', { n }));
  }
}

async function refreshCounts() {
  try {
    const r = await api.get('/v1/admin/conversations', { status: 'handoff', limit: 200 });
    counts.handoffs = r.items.filter((c) => !(c.handoff && c.handoff.handled)).length;
  } catch {
    counts.handoffs = 0;
  }
  showCounts();
}

async function render() {
  if (!me || !shell) return;
  const { path, params } = route();
  let r = ROUTES.find((x) => x.path === path);
  if (!r || (r.owner && !can().owner)) r = ROUTES[0];
  for (const a of shell.nav.querySelectorAll('a[data-route]')) {
    const on = a.dataset.route === r.path;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const title = t('nav.' + r.path);
  shell.crumb.textContent = title;
  document.title = `${title} · ${me.tenant.name} · bookchat`;
  const seq = ++renderSeq;
  const main = shell.main;
  main.dataset.screen = r.path;
  mount(main, spinner());
  const ctx = {
    t,
    api,
    me,
    can: can(),
    params,
    main,
    tz: me.tenant.timezone,
    lang: t.lang(),
    go,
    // a screen that awaited something checks this before drawing: the user may have moved on
    current: () => seq === renderSeq,
    refresh: render,
    refreshCounts,
    // the organisation's figures on its own dashboard (not when acting on a branch): switchTo opens a branch
    org: org && !branch ? org : null,
    switchTo: switchBranch,
    setMe: (m) => {
      me = { ...me, ...m };
      buildShell();
    },
  };
  try {
    const screen = await screenOf(r);
    if (seq !== renderSeq) return;
    await screen.render(ctx);
  } catch (e) {
    if (e.status === 401 || seq !== renderSeq) return;
    console.warn('[admin]', e);
    // browsers may remember a chunk that failed and not fetch it again: reloading the page is the sure retry
    mount(main, errorBox(e, e.chunk ? () => location.reload() : render));
  }
}

// The signed-in user's own account: who they are, their role, a new password.
function account() {
  const f = form(
    [
      { name: 'current_password', label: t('account.current'), type: 'password', required: true, autocomplete: 'current-password', wide: true },
      { name: 'new_password', label: t('account.new'), type: 'password', required: true, attrs: { minlength: 8, autocomplete: 'new-password' }, hint: t('account.newHint'), wide: true },
    ],
    {},
    { t },
  );
  dialog({
    title: t('account.title'),
    body: [
      h(
        'dl',
        { class: 'details account-details' },
        h('div', { class: 'detail' }, h('dt', { text: t('users.email') }), h('dd', { text: me.user.email })),
        h('div', { class: 'detail' }, h('dt', { text: t('users.role') }), h('dd', { text: t('role.' + me.user.role) })),
        h('div', { class: 'detail wide' }, h('dt', { text: t('account.business') }), h('dd', { text: `${me.tenant.name} · ${t('plan.name', { plan: me.tenant.plan })}` })),
      ),
      h('h3', { class: 'account-pw', text: t('account.password') }),
      f.el,
    ],
    actions: [
      { label: t('account.signOut'), kind: 'ghost', icon: 'logout', onClick: () => signOut() },
      {
        label: t('account.change'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          await api.post('/v1/admin/me/password', f.read());
          toast(t('account.changed'));
        },
      },
    ],
  });
}

window.addEventListener('hashchange', render);
if (session && session.token) start();
else showLogin();

// Browser test harness: playwright-core driving Debian's chromium (headless) against a real `bookchat serve`
// (tests/api/harness.mjs starts it on a free port with a temporary store). Also: a tiny static server for
// pages on another origin, a demo clinic tenant, screenshots into test-artifacts/screenshots/, a guard that
// fails a test on page errors and CSP violations, and helpers that drive the chat widget.
// One browser per test file; each test takes its own context (fresh storage). docs/web.md explains it.
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { makeTenant, must, startServer, PLATFORM_TOKEN } from '../api/harness.mjs';

export { makeTenant, startServer, PLATFORM_TOKEN };

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.BOOKCHAT_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = join(root, 'test-artifacts', 'screenshots');
// Generous: two cores shared with builds and an ASan server.
export const TIMEOUT = Number(process.env.BOOKCHAT_E2E_TIMEOUT_MS) || 30000;
// A Monday at 09:00 in Madrid: what the chat offers ("mañana", "el jueves") is the same on every run.
export const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    args: ['--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--disable-extensions'],
  });
}

// A new context (its own storage) with Spanish locale, Madrid time, reduced motion and generous timeouts.
export async function newContext(browser, opts = {}) {
  // reduced motion: no transitions, so boxes and screenshots are taken at rest
  const ctx = await browser.newContext({ locale: 'es-ES', timezoneId: 'Europe/Madrid', viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', ...opts });
  ctx.setDefaultTimeout(TIMEOUT);
  ctx.setDefaultNavigationTimeout(TIMEOUT);
  return ctx;
}

// Collects what should never happen on our pages: uncaught errors, console errors (CSP violations are
// reported there), failed same-origin requests. problems() lists them; expectClean(page) throws.
export function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.problems = problems;
  return page;
}

export function expectClean(page, allow = []) {
  const left = page.problems.filter((p) => !allow.some((re) => re.test(p)));
  if (left.length) throw new Error('page problems:\n' + left.join('\n'));
}

export async function screenshot(page, name, opts = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, ...opts });
  return path;
}

// Serves pages from another origin (another port): routes maps a path to HTML (a string or a function of
// the request). Returns {url, origin, close()}.
export async function pageServer(routes) {
  const srv = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const page = routes[path];
    if (path === '/favicon.ico') return res.writeHead(204).end();
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(typeof page === 'function' ? page(req) : page);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${srv.address().port}`;
  return {
    origin,
    url: origin + '/',
    close: () => new Promise((r) => srv.close(r)),
  };
}

// The embed snippet, as the admin panel shows it.
export const snippet = (serverUrl, key, attrs = '') => `<script src="${serverUrl}/widget.js" data-key="${key}"${attrs ? ' ' + attrs : ''} async></script>`;

// A Spanish dental clinic with three services, two professionals and weekday hours. The key allows the
// server's own origin (the demo page) and the given extra origins.
// Signs in to the admin panel of the server at url through its form (in Spanish); resolves with the page
// once the panel's shell is drawn.
export async function adminSignIn(page, url, email, password) {
  await page.goto(`${url}/admin/`);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.locator('.sidebar').waitFor();
  return page;
}

export async function makeClinic(srv, { origins = [], name = 'Clínica Dental Sonrisa', plan = 'PRO', color = '#0f766e' } = {}) {
  const t = await makeTenant(srv, { name, plan, locale: 'es', timezone: 'Europe/Madrid', origins: [srv.url, ...origins] });
  const services = {};
  for (const s of [
    { name: 'Limpieza dental', duration_min: 30, price: 45, description: 'Limpieza completa con ultrasonidos y pulido.', synonyms: ['limpieza', 'higiene dental'] },
    { name: 'Revisión', duration_min: 20, price: 30, description: 'Revisión general y diagnóstico.', synonyms: ['revision', 'chequeo', 'consulta'] },
    { name: 'Blanqueamiento', duration_min: 60, price: 180, description: 'Blanqueamiento dental en clínica.', synonyms: ['blanquear'] },
  ])
    services[s.name] = (await must(t.admin('POST', '/v1/admin/services', s), 'service')).service.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '14:00' }, { weekday: d, start: '16:00', end: '20:00' });
  const providers = {};
  for (const n of ['Dra. Marta López', 'Dr. Javier Ruiz']) {
    const p = (await must(t.admin('POST', '/v1/admin/providers', { name: n, service_ids: Object.values(services) }), 'provider')).provider;
    providers[n] = p.id;
    await must(t.admin('PUT', `/v1/admin/providers/${p.id}/availability`, { weekly }), 'hours');
  }
  await must(
    t.admin('PATCH', '/v1/admin/settings', {
      business: { address: 'Calle de Alcalá 120, 28009 Madrid', phone: '+34 910 000 000' },
      widget: { color, title: name },
    }),
    'settings',
  );
  await must(srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 1000, burst: 1000 } }), 'limits');
  return { ...t, services, providers };
}

// Drives the widget of a page. Playwright's CSS locators pierce the widget's (open) shadow root.
export function widget(page) {
  const host = page.locator('[data-bookchat]');
  const log = host.locator('.log');
  const w = {
    host,
    log,
    launcher: host.locator('.launcher'),
    panel: host.locator('.panel'),
    input: host.locator('.input'),
    send: host.locator('.send'),
    chips: host.locator('.chips'),
    card: host.locator('.card'),
    botMessages: host.locator('.msg.bot:not(.typing)'),
    // waits until the assistant has answered (more bot messages than before, not busy)
    async settle(before) {
      await page.waitForFunction(
        (n) => {
          const r = document.querySelector('[data-bookchat]')?.shadowRoot;
          const l = r && r.querySelector('.log');
          return l && l.getAttribute('aria-busy') === 'false' && r.querySelectorAll('.msg.bot:not(.typing)').length > n;
        },
        before,
        { timeout: TIMEOUT },
      );
    },
    async open() {
      const n = await w.botMessages.count();
      await w.launcher.click();
      await w.settle(n);
    },
    async tap(label) {
      const n = await w.botMessages.count();
      await w.chips.getByRole('button', { name: label, exact: true }).click();
      await w.settle(n);
    },
    async tapFirst() {
      const n = await w.botMessages.count();
      const b = w.chips.getByRole('button').first();
      const label = await b.textContent();
      await b.click();
      await w.settle(n);
      return label;
    },
    async say(text) {
      const n = await w.botMessages.count();
      await w.input.fill(text);
      await w.input.press('Enter');
      await w.settle(n);
    },
    lastText: () => w.botMessages.last().textContent(),
    chipLabels: () => w.chips.getByRole('button').allTextContents(),
  };
  return w;
}

// A server at NOW with the demo clinic and a browser, for a test file's before(); stop() in its after().
export async function startClinic(opts = {}) {
  const srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  const clinic = await makeClinic(srv, opts);
  const browser = await launch();
  return { srv, clinic, browser, stop: async () => { await browser.close(); await srv.stop(); } };
}

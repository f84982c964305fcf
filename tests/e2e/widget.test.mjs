// The widget on other sites: a hostile page whose CSS resets everything (the widget still looks and works
// the same, across origins with CORS, and leaves the page as it was); pages whose origin the key does not
// allow ("not available here", told apart from a server that is down); network errors and the plan's
// message limit, said politely. Pages are served from other origins by a tiny node server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NOW, expectClean, launch, makeClinic, makeTenant, newContext, pageServer, screenshot, snippet, startServer, watch, widget } from './harness.mjs';

let srv, browser, site, stranger, clinic, limited, foreign;

const HOSTILE_CSS = `
  *, *::before, *::after { all: unset; box-sizing: content-box !important; }
  html { font-size: 7px; line-height: 4 !important; }
  body { display: block; font: italic 40px/3 "Comic Sans MS", cursive !important; color: red !important;
         letter-spacing: 6px !important; text-transform: uppercase !important; }
  head, script, style { display: none; }
  div, section, button, input { padding: 30px !important; margin: 20px !important; border: 4px dashed red !important; }
  svg, path { display: none !important; }
  [data-bookchat] { display: none !important; opacity: 0 !important; transform: scale(0) !important; }
  p { display: block; }
`;

const page = (title, body, css = '') => `<!doctype html><html lang="es"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${css}</style></head>
<body><p id="content">${title}</p>${body}</body></html>`;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  const routes = {}, strangerRoutes = {};
  site = await pageServer(routes); // routes are read per request: filled in below, once the keys exist
  stranger = await pageServer(strangerRoutes);
  clinic = await makeClinic(srv, { origins: [site.origin] });
  limited = await makeClinic(srv, { name: 'Clínica Límite', origins: [site.origin], color: '#7c3aed' });
  await srv.platform('PATCH', `/v1/platform/tenants/${limited.id}`, { limits: { messages_month: 1 } });
  // a key that works elsewhere only: the site's origin is known (preflight passes) but not for this key
  foreign = await makeTenant(srv, { name: 'Otra', origins: ['https://elsewhere.example.com'] });
  Object.assign(routes, {
    '/hostile': page('Página hostil', snippet(srv.url, clinic.key), HOSTILE_CSS),
    '/plain': page('Página normal', snippet(srv.url, clinic.key)),
    '/limited': page('Límite', snippet(srv.url, limited.key)),
    '/foreign': page('Clave de otro sitio', snippet(srv.url, foreign.key)),
  });
  strangerRoutes['/'] = page('Origen desconocido', snippet(srv.url, clinic.key));
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
  await stranger?.close();
  await srv?.stop();
});

async function open(ctx, url) {
  const p = watch(await ctx.newPage());
  await p.goto(url);
  await widget(p).launcher.waitFor();
  return p;
}

test('on a hostile page the widget looks the same, works across origins, and leaves the page alone', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const p = await open(ctx, site.origin + '/hostile');
  const w = widget(p);
  const box = await w.launcher.boundingBox();
  assert.deepEqual([box.width, box.height], [60, 60], 'the launcher keeps its size');
  assert.deepEqual([box.x + box.width, box.y + box.height], [1280 - 20, 800 - 20], 'bottom right corner');
  assert.equal(await w.launcher.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(15, 118, 110)');
  await w.open();
  const panel = await w.panel.boundingBox();
  assert.equal(panel.width, 380);
  const bubble = w.botMessages.first();
  const style = await bubble.evaluate((b) => {
    const s = getComputedStyle(b);
    return { font: s.fontFamily, size: s.fontSize, transform: s.textTransform, spacing: s.letterSpacing, color: s.color, sizing: s.boxSizing };
  });
  assert.doesNotMatch(style.font, /Comic/);
  assert.equal(style.size, '15px');
  assert.equal(style.transform, 'none');
  assert.equal(style.spacing, 'normal');
  assert.equal(style.color, 'rgb(31, 41, 55)');
  assert.equal(style.sizing, 'border-box');
  assert.equal(await w.host.locator('.launcher svg').first().evaluate((s) => getComputedStyle(s).display), 'block', 'icons are drawn');
  // a booking from start to end, cross-origin (CORS preflights included)
  await w.tap('Revisión');
  await w.tap('Me da igual');
  await w.tapFirst();
  await w.tapFirst();
  await w.say('Ana Torres');
  await w.say('ana@example.com');
  await w.tap('Sí, confirmar');
  await w.card.waitFor();
  assert.match(await w.card.locator('.code').textContent(), /^[A-Z2-9]{6}$/);
  await screenshot(p, 'widget-hostile-page');
  expectClean(p);
  await ctx.close();
});

test('the widget adds nothing to the page outside its own element', { timeout: 60000 }, async () => {
  const ctx = await newContext(browser);
  const p = await ctx.newPage();
  // the page as it is without the widget
  await p.route('**/widget.js', (r) => r.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
  await p.goto(site.origin + '/plain');
  const measure = () =>
    p.evaluate(() => ({
      sheets: document.styleSheets.length,
      body: getComputedStyle(document.body).cssText || [...getComputedStyle(document.body)].map((k) => getComputedStyle(document.body)[k]).join(';'),
      content: getComputedStyle(document.getElementById('content')).font,
      nodes: [...document.body.children].filter((e) => e.tagName !== 'SCRIPT').map((e) => e.id || e.tagName),
      globals: Object.keys(window).filter((k) => /bookchat/i.test(k)),
    }));
  const without = await measure();
  await p.unroute('**/widget.js');
  await p.reload();
  await widget(p).launcher.waitFor();
  const withWidget = await measure();
  assert.equal(withWidget.sheets, without.sheets, 'no style sheet added to the page');
  assert.equal(withWidget.body, without.body);
  assert.equal(withWidget.content, without.content);
  assert.deepEqual(withWidget.nodes, [...without.nodes, 'DIV'], 'one host element');
  assert.deepEqual(withWidget.globals, ['BookChat']);
  await ctx.close();
});

test('a page whose origin the key does not allow shows "not available here"', { timeout: 120000 }, async () => {
  for (const url of [stranger.url, site.origin + '/foreign']) {
    const ctx = await newContext(browser);
    const p = await open(ctx, url);
    const w = widget(p);
    await w.launcher.click();
    await w.host.locator('.state').waitFor();
    assert.match(await w.panel.textContent(), /Chat no disponible/);
    assert.match(await w.panel.textContent(), /no está disponible en esta página/);
    assert.match(await w.panel.textContent(), new RegExp(new URL(url).origin.replace(/[.]/g, '\\.')));
    assert.equal(await w.input.isVisible(), false, 'nothing to type into');
    if (url === stranger.url) await screenshot(p, 'widget-not-available');
    // the browser reports the CORS refusal itself; nothing else went wrong
    expectClean(p, [/CORS|Failed to load resource|net::ERR_FAILED/]);
    await ctx.close();
  }
});

test('a server that cannot be reached is "no connection", with a retry that recovers', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const p = watch(await ctx.newPage());
  const cut = (r) => r.abort('internetdisconnected');
  await p.route(`${srv.url}/v1/**`, cut);
  await p.route(`${srv.url}/healthz`, cut);
  await p.goto(site.origin + '/plain');
  const w = widget(p);
  await w.launcher.click();
  await w.host.locator('.state').waitFor();
  assert.match(await w.panel.textContent(), /Sin conexión/);
  await p.unroute(`${srv.url}/v1/**`, cut);
  await p.unroute(`${srv.url}/healthz`, cut);
  await w.host.getByRole('button', { name: 'Reintentar' }).click();
  await w.chips.waitFor();
  assert.match(await w.log.textContent(), /¿Qué servicio/);
  // a message lost on the way: said, and sent again on request
  await p.route(`${srv.url}/v1/widget/conversations/*/messages`, cut);
  await w.chips.getByRole('button', { name: 'Revisión', exact: true }).click();
  await w.host.locator('.notice').waitFor();
  assert.match(await w.host.locator('.notice').textContent(), /No se ha podido enviar tu mensaje/);
  await p.unroute(`${srv.url}/v1/widget/conversations/*/messages`, cut);
  const n = await w.botMessages.count();
  await w.host.locator('.notice').getByRole('button', { name: 'Reintentar' }).click();
  await w.settle(n);
  assert.match(await w.lastText(), /¿Con quién quieres la cita de Revisión\?/);
  assert.equal(await w.host.locator('.msg.user').count(), 1, 'the retried message is shown once');
  expectClean(p, [/Failed to load resource|net::ERR_INTERNET_DISCONNECTED/]);
  await ctx.close();
});

test('past the plan\'s message limit the widget shows the business\'s polite message', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const p = await open(ctx, site.origin + '/limited');
  const w = widget(p);
  assert.equal(await w.launcher.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(124, 58, 237)', 'this tenant\'s colour');
  await w.open();
  await w.tap('Revisión'); // the one message of the month
  await w.tap('Me da igual');
  assert.match(await w.lastText(), /no podemos atender más mensajes/);
  assert.equal(await w.host.locator('.notice').count(), 0, 'no error banner: the words come from the business');
  await screenshot(p, 'widget-plan-limit');
  // the browser logs the 429 response; nothing else went wrong
  expectClean(p, [/status of 429/]);
  await ctx.close();
});

test('while the answer is on its way, a typing indicator shows and the log is busy', { timeout: 60000 }, async () => {
  const ctx = await newContext(browser);
  const p = await open(ctx, site.origin + '/plain');
  const w = widget(p);
  await w.open();
  let release;
  const gate = new Promise((r) => (release = r));
  await p.route(`${srv.url}/v1/widget/conversations/*/messages`, async (r) => {
    if (r.request().method() === 'POST') await gate;
    await r.continue();
  });
  const n = await w.botMessages.count();
  await w.chips.getByRole('button', { name: 'Limpieza dental', exact: true }).click();
  await w.host.locator('.typing').waitFor();
  assert.equal(await w.log.getAttribute('aria-busy'), 'true');
  assert.equal(await w.host.locator('.msg.user').last().textContent(), 'Tú: Limpieza dental');
  assert.equal(await w.send.isDisabled(), true, 'one message at a time');
  release();
  await w.settle(n);
  assert.equal(await w.host.locator('.typing').count(), 0);
  assert.equal(await w.log.getAttribute('aria-busy'), 'false');
  expectClean(p);
  await ctx.close();
});

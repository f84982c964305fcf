// The customer's manage page (/manage/?code=…&token=…, issue 18): a booking made through the widget API is
// shown with its local date and time, moved to another free time, and cancelled after a confirmation; an
// invalid and an expired link say so; Spanish and English (the browser's language, a switch); a phone-sized
// screen; no request of the page carries a Referer; no CSP violation or page error anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NOW, expectClean, newContext, screenshot, startClinic, watch } from './harness.mjs';

let srv, browser, clinic, fixture;

before(async () => ({ srv, browser, clinic } = fixture = await startClinic()));
after(async () => fixture?.stop());

async function book(start, provider = 'Dra. Marta López') {
  const r = await srv.req('POST', '/v1/widget/bookings', {
    body: { service_id: clinic.services['Limpieza dental'], provider_id: clinic.providers[provider], start, customer: { name: 'Lucía Pérez', email: 'lucia@example.com' } },
    headers: { 'x-api-key': clinic.key, origin: srv.url },
  });
  assert.equal(r.status, 201, r.text);
  return r.json.booking;
}

// the browser's clock says the server's NOW (Monday 30 November 2026, 09:00 in Madrid)
async function context(opts) {
  const ctx = await newContext(browser, opts);
  await ctx.clock.setFixedTime(new Date(NOW * 1000));
  return ctx;
}

const manageUrl = (b) => `${srv.url}/manage/?code=${b.code}&token=${encodeURIComponent(b.manage_token)}`;

// a page that records every request whose Referer names the page (the URL with the token); a module's
// imports name the importing script, which is harmless
async function openPage(ctx, url) {
  const p = watch(await ctx.newPage());
  p.referers = [];
  p.on('request', (r) => {
    const ref = r.headers()['referer'];
    if (ref && (new URL(ref).pathname.startsWith('/manage/') || ref.includes('token'))) p.referers.push(`${r.url()} <- ${ref}`);
  });
  await p.goto(url);
  await p.locator('#app[aria-busy="false"]').waitFor();
  return p;
}

test('see the booking, move it to another time, then cancel it (Spanish)', { timeout: 120000 }, async () => {
  const b = await book('2026-12-02T10:00:00+01:00');
  const ctx = await context();
  const p = await openPage(ctx, manageUrl(b));
  try {
    await assert.doesNotReject(p.getByRole('heading', { name: 'Tu cita' }).waitFor());
    const card = p.locator('.card');
    assert.match(await card.locator('.card-head').textContent(), /Cita confirmada/);
    assert.equal(await card.locator('dd.code').textContent(), b.code);
    assert.equal(await card.locator('dd.when').textContent(), 'Miércoles, 2 de diciembre de 2026, 10:00');
    assert.match(await card.textContent(), /Limpieza dental/);
    assert.match(await card.textContent(), /Dra\. Marta López/);
    assert.match(await card.textContent(), /Confirmada/);
    assert.match(await p.locator('.head').textContent(), /Clínica Dental Sonrisa/);
    assert.match(await p.locator('.note').textContent(), /hasta el miércoles, 2 de diciembre de 2026, 08:00/);
    // the calendar file
    const ics = p.getByRole('link', { name: 'Añadir al calendario' });
    const href = await ics.getAttribute('href');
    assert.ok(href.startsWith('/v1/manage/booking.ics?token='), href);
    const file = await p.evaluate(async (u) => (await fetch(u)).text(), href);
    assert.match(file, /BEGIN:VEVENT/);
    await screenshot(p, 'manage-es');

    // reschedule: the booking's day opens, its own time is disabled, another is chosen and confirmed
    await p.getByRole('button', { name: 'Cambiar fecha u hora' }).click();
    const day = p.getByLabel('Día', { exact: true });
    assert.equal(await day.inputValue(), '2026-12-02');
    await p.locator('.chips').waitFor();
    assert.ok(await p.getByRole('button', { name: '10:00 (tu hora actual)' }).isDisabled());
    assert.equal(await p.getByRole('button', { name: 'Confirmar el cambio' }).isDisabled(), true);
    await p.getByRole('button', { name: 'Día siguiente' }).click();
    await p.locator('.dayname', { hasText: 'Jueves, 3 de diciembre' }).waitFor();
    await p.locator('.chips').waitFor();
    await p.getByRole('button', { name: '11:30', exact: true }).click();
    assert.equal(await p.getByRole('button', { name: '11:30', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.match(await p.locator('.summary').textContent(), /Nueva hora: jueves, 3 de diciembre de 2026, 11:30/);
    await screenshot(p, 'manage-es-reschedule');
    await p.getByRole('button', { name: 'Confirmar el cambio' }).click();
    await p.locator('#flash', { hasText: 'Hecho: tu cita es ahora el jueves, 3 de diciembre de 2026, 11:30.' }).waitFor();
    assert.equal(await card.locator('dd.when').textContent(), 'Jueves, 3 de diciembre de 2026, 11:30');
    const moved = await clinic.admin('GET', `/v1/admin/bookings/${b.id}`);
    assert.equal(moved.json.booking.start, '2026-12-03T11:30:00+01:00', 'the server has the new time');

    // cancel: "No" keeps it, "Yes" cancels
    await p.getByRole('button', { name: 'Anular la cita' }).click();
    const dlg = p.getByRole('dialog', { name: '¿Anular la cita?' });
    await dlg.waitFor();
    assert.match(await dlg.textContent(), /Limpieza dental el jueves, 3 de diciembre de 2026, 11:30/);
    await dlg.getByRole('button', { name: 'No, mantenerla' }).click();
    await dlg.waitFor({ state: 'detached' });
    assert.equal((await clinic.admin('GET', `/v1/admin/bookings/${b.id}`)).json.booking.status, 'confirmed');
    assert.equal(await p.evaluate(() => document.activeElement.id), 'cancel', 'the focus goes back to the button');
    await p.getByRole('button', { name: 'Anular la cita' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Sí, anular' }).click();
    await p.locator('#flash', { hasText: 'Tu cita está anulada.' }).waitFor();
    assert.match(await card.locator('.card-head').textContent(), /Cita anulada/);
    assert.match(await card.textContent(), /Anulada/);
    assert.equal(await p.getByRole('button', { name: 'Anular la cita' }).count(), 0);
    assert.equal(await p.getByRole('link', { name: 'Añadir al calendario' }).count(), 0);
    assert.equal((await clinic.admin('GET', `/v1/admin/bookings/${b.id}`)).json.booking.status, 'cancelled');
    await screenshot(p, 'manage-es-cancelled');

    // a reload shows the cancelled state
    await p.reload();
    await p.locator('#app[aria-busy="false"]').waitFor();
    assert.match(await p.locator('.note').textContent(), /anulada/);
    assert.deepEqual(p.referers, [], 'no request carries a Referer (the token is in the URL)');
    expectClean(p);
  } finally {
    await ctx.close();
  }
});

test('English from the browser, a taken time said plainly, too late to change online, phone width', { timeout: 120000 }, async () => {
  const b = await book('2026-12-04T09:00:00+01:00');
  const ctx = await context({ locale: 'en-GB', viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const p = await openPage(ctx, manageUrl(b));
  try {
    await p.getByRole('heading', { name: 'Your booking' }).waitFor();
    assert.match(await p.locator('.card-head').textContent(), /Booking confirmed/);
    assert.equal(await p.locator('dd.when').textContent(), 'Friday, 4 December 2026, 09:00');
    // nothing wider than the screen
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll');
    await screenshot(p, 'manage-en-phone', { fullPage: true });

    // someone takes 12:00 after the page listed it
    await p.getByRole('button', { name: 'Change date or time' }).click();
    await p.locator('.chips').waitFor();
    await p.getByRole('button', { name: '12:00', exact: true }).click();
    await book('2026-12-04T12:00:00+01:00');
    await p.getByRole('button', { name: 'Confirm the change' }).click();
    await p.locator('#action-error', { hasText: 'That time was just taken. Please pick another one.' }).waitFor();
    await p.locator('.chips').waitFor();
    assert.equal(await p.getByRole('button', { name: '12:00', exact: true }).count(), 0, 'the list is fresh');
    await p.getByRole('button', { name: 'Back' }).click();
    assert.equal(await p.evaluate(() => document.activeElement.id), 'reschedule');

    // with any professional, 12:00 is free again (with the other one), and the booking moves to them
    await p.getByRole('button', { name: 'Change date or time' }).click();
    await p.getByLabel('Professional').selectOption({ label: 'With any professional' });
    await p.locator('.chips').waitFor();
    await p.getByRole('button', { name: '12:00', exact: true }).click();
    await p.getByRole('button', { name: 'Confirm the change' }).click();
    await p.locator('#flash', { hasText: 'Done: your booking is now on Friday, 4 December 2026, 12:00.' }).waitFor();
    assert.match(await p.locator('.card').textContent(), /Dr\. Javier Ruiz/);

    // the switch: Spanish, and back
    await p.getByRole('button', { name: 'Ver esta página en español' }).click();
    await p.getByRole('heading', { name: 'Tu cita' }).waitFor();
    await p.getByRole('button', { name: 'Read this page in English' }).click();
    await p.getByRole('heading', { name: 'Your booking' }).waitFor();

    // a booking inside the two-hour window: no buttons, the business's phone instead
    const soon = await book('2026-11-30T10:30:00+01:00', 'Dr. Javier Ruiz');
    await p.goto(manageUrl(soon));
    await p.locator('#app[aria-busy="false"]').waitFor();
    const notice = p.locator('.notice');
    assert.match(await notice.textContent(), /It can no longer be changed or cancelled online\. Call Clínica Dental Sonrisa: \+34 910 000 000/);
    assert.equal(await notice.getByRole('link').getAttribute('href'), 'tel:+34910000000');
    assert.equal(await p.getByRole('button', { name: 'Cancel booking' }).count(), 0);
    assert.deepEqual(p.referers, []);
    expectClean(p, [/status of 409/]); // the taken time's refusal, logged by the browser
  } finally {
    await ctx.close();
  }
});

test('an invalid or missing link, in both languages, and the keyboard reaches everything', { timeout: 120000 }, async () => {
  const b = await book('2026-12-07T10:00:00+01:00');
  const forged = b.manage_token.slice(0, -1) + (b.manage_token.endsWith('A') ? 'B' : 'A');
  for (const [locale, title, text] of [['es-ES', 'Enlace no válido', /no corresponde a ninguna cita/], ['en-US', 'Invalid link', /does not match any booking/]]) {
    const ctx = await context({ locale });
    try {
      for (const url of [`${srv.url}/manage/?code=${b.code}&token=${encodeURIComponent(forged)}`, `${srv.url}/manage/`]) {
        // the refused look-up is the one console error a page may show (the browser logs a 404)
        const p = await openPage(ctx, url);
        const alert = p.getByRole('alert');
        await alert.getByRole('heading', { name: title }).waitFor();
        assert.match(await alert.textContent(), text);
        expectClean(p, [/status of 404/]);
        await p.close();
      }
    } finally {
      await ctx.close();
    }
  }
  // the keyboard: Tab from the top reaches the switch, the calendar link and both buttons; Enter works
  const ctx = await context();
  const p = await openPage(ctx, manageUrl(b));
  try {
    const seen = [];
    for (let i = 0; i < 6; i++) {
      await p.keyboard.press('Tab');
      seen.push(await p.evaluate(() => document.activeElement.id || document.activeElement.className || document.activeElement.tagName));
    }
    for (const want of ['lang', 'ics', 'reschedule', 'cancel']) assert.ok(seen.includes(want), `${want} not reached by Tab: ${seen}`);
    await p.locator('#cancel').focus();
    await p.keyboard.press('Enter');
    await p.getByRole('dialog').waitFor();
    assert.equal(await p.evaluate(() => document.activeElement.textContent), 'No, mantenerla', 'the safe answer has the focus');
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal((await clinic.admin('GET', `/v1/admin/bookings/${b.id}`)).json.booking.status, 'confirmed');
    expectClean(p);
  } finally {
    await ctx.close();
  }
});

test('every word the page uses exists in Spanish and English', async () => {
  const { TEXTS } = await import('../../web/manage/i18n.js');
  const code = readFileSync(new URL('../../web/manage/manage.js', import.meta.url), 'utf8');
  const used = new Set([...code.matchAll(/\bt\('([a-zA-Z0-9_.]*[a-zA-Z0-9_])'(?!\s*\+)/g)].map((m) => m[1]));
  // the keys built from a name: the states' titles and texts, the statuses
  for (const v of ['invalid', 'expired', 'unavailable', 'error']) used.add(v).add(v + 'Title');
  for (const st of ['confirmed', 'cancelled', 'completed', 'no_show', 'pending']) used.add('status.' + st);
  assert.ok(used.size > 40, `keys found: ${used.size}`);
  for (const lang of ['es', 'en']) assert.deepEqual([...used].filter((k) => !(k in TEXTS[lang])), [], `${lang}: missing words`);
  assert.deepEqual(Object.keys(TEXTS.es).sort(), Object.keys(TEXTS.en).sort());
});

// last: moves the server's clock past the link's life
test('an expired link says so', { timeout: 60000 }, async () => {
  const b = await book('2026-12-08T10:00:00+01:00');
  const now = (await srv.post('/v1/test/clock', { advance_s: 0 })).json.now;
  await srv.post('/v1/test/clock', { advance_s: Date.parse('2026-12-08T10:30:00+01:00') / 1000 + 8 * 86400 - now });
  const ctx = await context();
  try {
    const p = await openPage(ctx, manageUrl(b));
    await p.getByRole('heading', { name: 'Enlace caducado' }).waitFor();
    await screenshot(p, 'manage-es-expired');
    expectClean(p, [/status of 410/]);
  } finally {
    await ctx.close();
  }
});

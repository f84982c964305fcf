// Settings: the business's details, the chat widget's look (with a live preview: the real widget in an
// iframe, fed the values being edited), language and time zone, and the booking rules. One save
// (PATCH /v1/admin/settings, nested objects merged). Viewers see the values and the preview, no inputs.
// Beside them, the whole business's calendar subscription URL (calendars.js).
import { h, icon, mount } from '../../shared/dom.js';
import { button, card, pageHeader, toast, describe } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { zones } from '../../shared/format.js';
import { viewOnly } from './common.js';
import { feedBox } from './calendars.js';

export default {
  async render(ctx) {
    const { t, api, me } = ctx;
    const [{ settings: s }, services] = await Promise.all([api.get('/v1/admin/settings'), api.all('/v1/admin/services')]);
    if (!ctx.current()) return;
    const ro = !ctx.can.write;
    const opt = { readOnly: ro, t };
    const business = form(
      [
        { name: 'name', label: t('set.bizName'), required: true, maxlength: 120, wide: true },
        { name: 'address', label: t('set.address'), wide: true, maxlength: 200 },
        { name: 'phone', label: t('set.phone'), type: 'tel', maxlength: 40 },
        { name: 'email', label: t('set.email'), type: 'email', maxlength: 200 },
        { name: 'website', label: t('set.website'), type: 'url', wide: true, placeholder: 'https://', maxlength: 300 },
        { name: 'about', label: t('set.about'), type: 'textarea', wide: true, rows: 3, maxlength: 1000, hint: t('set.aboutHint') },
      ],
      s.business || {},
      opt,
    );
    const widget = form(
      [
        { name: 'title', label: t('set.title'), maxlength: 80, hint: t('set.titleHint') },
        { name: 'color', label: t('set.color'), type: 'color', show: (v) => v },
        { name: 'greeting', label: t('set.greeting'), type: 'textarea', wide: true, rows: 2, maxlength: 500, hint: t('set.greetingHint') },
        { name: 'logo_url', label: t('set.logo'), type: 'url', wide: true, placeholder: 'https://…/logo.png', hint: t('set.logoHint') },
        { name: 'position', label: t('set.position'), type: 'select', options: [{ value: 'right', label: t('set.right') }, { value: 'left', label: t('set.left') }] },
      ],
      { color: '#0f766e', position: 'right', ...(s.widget || {}) },
      opt,
    );
    const region = form(
      [
        { name: 'locale', label: t('set.locale'), type: 'select', options: [{ value: 'es', label: 'Español' }, { value: 'en', label: 'English' }], hint: t('set.localeHint') },
        { name: 'timezone', label: t('set.timezone'), type: 'select', options: zones(s.timezone).map((z) => ({ value: z, label: z })), hint: t('set.timezoneHint') },
      ],
      { locale: s.locale, timezone: s.timezone },
      opt,
    );
    const b = s.booking || {};
    const rules = form(
      [
        { name: 'slot_step_min', label: t('set.step'), type: 'number', min: 5, max: 240, step: 5, hint: t('set.stepHint') },
        { name: 'min_notice_min', label: t('set.notice'), type: 'number', min: 0, max: 100000, step: 5, hint: t('set.noticeHint') },
        { name: 'max_days_ahead', label: t('set.ahead'), type: 'number', min: 1, max: 730, step: 1, hint: t('set.aheadHint') },
        { name: 'cancel_window_min', label: t('set.cancel'), type: 'number', min: 0, max: 100000, step: 5, hint: t('set.cancelHint') },
        { name: 'hold_minutes', label: t('set.hold'), type: 'number', min: 1, max: 60, step: 1, hint: t('set.holdHint') },
        { name: 'conversation_retention_days', label: t('set.retention'), type: 'number', min: 1, max: 3650, step: 1, hint: t('set.retentionHint') },
      ],
      { ...b, conversation_retention_days: s.conversation_retention_days },
      opt,
    );
    // public holidays (docs/holidays.md): the place whose holidays close the business, and days it opens anyway
    const PLACES = ['', 'ES', 'ES-MD', 'ES-CT', 'ES-AN', 'ES-VC', 'ES-PV', 'US', 'GB', 'GB-ENG', 'GB-WLS', 'GB-SCT'];
    const hol = s.holidays || null;
    const holidays = form(
      [
        { name: 'place', label: t('set.holidays'), type: 'select', options: PLACES.map((v) => ({ value: v, label: t('set.place.' + (v || 'none')) })), hint: t('set.holidaysHint') },
        { name: 'open', label: t('set.holidaysOpen'), type: 'textarea', wide: true, rows: 2, maxlength: 4000, placeholder: '2026-12-08, 2026-12-24', hint: t('set.holidaysOpenHint') },
      ],
      { place: hol ? hol.country + (hol.region ? '-' + hol.region : '') : '', open: (s.holidays_open || []).join(', ') },
      opt,
    );

    // the live preview: the frame asks this page for the draft when it loads
    const draft = () => {
      const w = ro ? s.widget || {} : widget.read();
      const bz = ro ? s.business || {} : business.read();
      const rg = ro ? s : region.read();
      return {
        locale: rg.locale || 'es',
        timezone: rg.timezone,
        branding: { title: w.title || bz.name || me.tenant.name, greeting: w.greeting, color: w.color || '#0f766e', logo_url: w.logo_url, position: w.position || 'right' },
        business: { name: bz.name || me.tenant.name },
        services: services.filter((x) => x.active !== false).map((x) => x.name),
      };
    };
    window.bookchatPreviewDraft = draft;
    const frame = h('iframe', { class: 'preview-frame', src: 'preview.html', title: t('set.previewTitle'), loading: 'lazy' });
    let timer;
    const refreshPreview = () => {
      clearTimeout(timer);
      timer = setTimeout(() => frame.contentWindow && frame.contentWindow.location.reload(), 250);
    };
    if (!ro) for (const f of [widget, business, region]) f.el.addEventListener('input', refreshPreview), f.el.addEventListener('change', refreshPreview);

    const save = async (e) => {
      e.preventDefault();
      const btn = e.submitter || e.target.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        const rg = region.read();
        const rl = rules.read();
        const retention = rl.conversation_retention_days;
        delete rl.conversation_retention_days;
        const body = { business: business.read(), widget: widget.read(), booking: rl, locale: rg.locale, timezone: rg.timezone };
        if (retention != null) body.conversation_retention_days = retention;
        for (const k of Object.keys(body.booking)) if (body.booking[k] == null) delete body.booking[k];
        const hv = holidays.read();
        const [country, reg] = (hv.place || '').split('-');
        body.holidays = country ? (reg ? { country, region: reg } : { country }) : null;
        body.holidays_open = (hv.open || '').split(/[\s,;]+/).filter(Boolean);
        await api.patch('/v1/admin/settings', body);
        toast(t('ui.saved'));
        const m = await api.get('/v1/admin/me');
        ctx.setMe(m);
        ctx.refresh();
      } catch (err) {
        toast(describe(err), 'error');
        btn.disabled = false;
      }
    };

    const section = (title, hint, f) => h('div', { class: 'form-section' }, h('h3', { text: title }), hint && h('p', { class: 'hint', text: hint }), f.el);
    const main = h(
      ro ? 'div' : 'form',
      { class: 'settings-form', onsubmit: ro ? null : save },
      card(t('set.business'), [h('p', { class: 'hint card-lead', text: t('set.businessHint') }), business.el]),
      card(t('set.widget'), [h('p', { class: 'hint card-lead', text: t('set.widgetHint') }), widget.el], { cls: 'widget-card' }),
      card(t('set.regionRules'), [section(t('set.region'), null, region), section(t('set.rules'), t('set.rulesHint'), rules), section(t('set.holidaysTitle'), null, holidays)]),
      !ro && h('div', { class: 'save-bar sticky-save' }, h('span', { class: 'muted small', text: t('set.saveHint') }), button(t('ui.saveChanges'), { kind: 'primary', type: 'submit', ico: 'check' })),
    );
    mount(ctx.main, 
      pageHeader(t('nav.settings'), t('set.lead')),
      ro ? viewOnly(t) : null,
      h(
        'div',
        { class: 'grid grid-main settings-grid' },
        main,
        h(
          'aside',
          { class: 'preview-col' },
          card(t('set.preview'), [h('p', { class: 'hint card-lead' }, icon('eye'), ' ', t('set.previewHint')), h('div', { class: 'preview-box' }, frame)], { cls: 'preview-card' }),
          card(t('cal.tenantFeed'), [h('p', { class: 'hint card-lead', text: t('cal.tenantFeedLead') }), feedBox(ctx, '/v1/admin/feed', { cls: 'tenant-feed' })], { cls: 'feed-card' }),
        ),
      ),
    );
  },
};

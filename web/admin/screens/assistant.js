// The assistant: its mode (fsm: no AI; nlp: an AI reads free text; agent: an AI converses), limited to
// what the plan allows (modes outside it are shown, disabled, with the plan to ask for; the API answers
// 409 plan_limit_exceeded anyway), the AI's provider, model and budget, and a "test your assistant" box
// that shows what the built-in understanding makes of a sentence (POST /v1/admin/nlu/parse).
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, pageHeader, toast, describe } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtDay, fmtNumber } from '../../shared/format.js';
import { catalog, viewOnly } from './common.js';

const MODES = ['fsm', 'nlp', 'agent'];

export default {
  async render(ctx) {
    const { t, api, me, lang } = ctx;
    const [{ ai }, cat] = await Promise.all([api.get('/v1/admin/settings/ai'), catalog(api)]);
    if (!ctx.current()) return;
    const allowed = (me.limits && me.limits.ai_modes) || ['fsm'];
    const ro = !ctx.can.write;
    let mode = ai.mode || 'fsm';

    const modeCards = h(
      'div',
      { class: 'modes', role: 'radiogroup', 'aria-label': t('ai.mode') },
      MODES.map((m) => {
        const ok = allowed.includes(m);
        const input = h('input', { type: 'radio', name: 'mode', value: m, checked: m === mode, disabled: ro || !ok });
        input.addEventListener('change', () => ((mode = m), sync()));
        return h(
          'label',
          { class: ['mode', !ok && 'locked', m === mode && 'selected'], dataset: { mode: m } },
          input,
          h('span', { class: 'mode-top' }, h('strong', { text: t('ai.' + m) }), m === ai.mode ? badge(t('ai.current'), 'brand') : !ok ? badge(t('ai.notInPlan'), 'neutral') : null),
          h('span', { class: 'mode-text', text: t('ai.' + m + 'Text') }),
          !ok && h('span', { class: 'mode-lock small', text: t('ai.upgrade', { plans: m === 'nlp' ? 'PRO' : 'BUSINESS' }) }),
        );
      }),
    );
    const advanced = form(
      [
        { name: 'provider', label: t('ai.provider'), type: 'select', options: [{ value: '', label: t('ai.providerDefault') }, { value: 'anthropic', label: 'Anthropic' }, { value: 'bedrock', label: 'Amazon Bedrock' }, { value: 'openai', label: t('ai.openai') }] },
        { name: 'model', label: t('ai.model'), maxlength: 120, placeholder: t('ai.modelDefault'), hint: t('ai.modelHint') },
        { name: 'conversation_tokens', label: t('ai.tokens'), type: 'number', min: 100, max: 10000000, step: 100, placeholder: '50000', hint: t('ai.tokensHint') },
        { name: 'instructions', label: t('ai.instructions'), type: 'textarea', wide: true, rows: 3, maxlength: 1000, hint: t('ai.instructionsHint') },
      ],
      { ...ai, provider: ai.provider || '' },
      { readOnly: ro, t },
    );
    const advBox = h('div', { class: 'ai-advanced' }, h('h3', { text: t('ai.advanced') }), advanced.el);
    const sync = () => {
      advBox.hidden = mode === 'fsm';
      for (const l of modeCards.querySelectorAll('.mode')) l.classList.toggle('selected', l.dataset.mode === mode);
      if (!ro) advanced.inputs.instructions.control.closest('.field').hidden = mode !== 'agent';
    };
    sync();
    const tokens = me.limits && me.limits.ai_tokens_month;
    const save = async (e) => {
      e.preventDefault();
      try {
        const v = advanced.read();
        await api.put('/v1/admin/settings/ai', { mode, provider: v.provider || null, model: v.model || null, conversation_tokens: v.conversation_tokens, instructions: v.instructions || null });
        toast(t('ai.saved', { mode: t('ai.' + mode) }));
        ctx.refresh();
      } catch (err) {
        toast(err.code === 'plan_limit_exceeded' ? t('ai.refused') : describe(err), 'error');
      }
    };
    const modeCard = card(
      t('ai.mode'),
      h(
        ro ? 'div' : 'form',
        { onsubmit: ro ? null : save },
        h('p', { class: 'hint card-lead', text: t('ai.lead', { plan: me.tenant.plan }) + (tokens ? ' ' + t('ai.budget', { n: fmtNumber(tokens, lang) }) : '') }),
        modeCards,
        advBox,
        !ro && h('div', { class: 'save-bar' }, button(t('ui.saveChanges'), { kind: 'primary', type: 'submit', ico: 'check' })),
      ),
    );

    // test your assistant
    const input = h('input', { type: 'text', id: 'nlu-text', maxlength: 2000, placeholder: t('ai.testPlaceholder'), 'aria-label': t('ai.testLabel') });
    const out = h('div', { class: 'nlu-out', 'aria-live': 'polite' });
    const examples = lang === 'en' ? ['I want a cleaning next Friday at 3pm', 'Cancel my appointment ABC234', 'What are your opening hours?'] : ['Quiero una limpieza mañana a las 10', 'cambiar mi cita del jueves por la tarde', '¿Dónde estáis?'];
    const run = async (e) => {
      if (e) e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      mount(out, h('p', { class: 'muted', text: t('ui.loading') }));
      try {
        const r = await api.post('/v1/admin/nlu/parse', { text });
        mount(out, reading(t, lang, r, cat));
      } catch (err) {
        mount(out, h('p', { class: 'muted', text: describe(err) }));
      }
    };
    const testCard = card(t('ai.test'), [
      h('p', { class: 'hint card-lead', text: t('ai.testLead') }),
      h('form', { class: 'nlu-form', onsubmit: run }, input, button(t('ai.testGo'), { kind: 'primary', type: 'submit', ico: 'sparkles' })),
      h('div', { class: 'nlu-examples' }, examples.map((x) => h('button', { type: 'button', class: 'chip chip-btn', text: x, onclick: () => ((input.value = x), run()) }))),
      out,
    ]);

    mount(ctx.main, pageHeader(t('nav.assistant'), t('ai.pageLead')), ro ? viewOnly(t) : null, h('div', { class: 'grid grid-main' }, modeCard, testCard));
  },
};

function reading(t, lang, r, cat) {
  const rows = [];
  const add = (k, v) => v != null && v !== '' && rows.push(h('div', { class: 'detail' }, h('dt', { text: t('nlu.' + k) }), h('dd', { text: v })));
  add('intent', t.has('intent.' + r.intent) ? t('intent.' + r.intent) : r.intent);
  add('service', r.service_id && (cat.service(r.service_id) || {}).name);
  add('provider', r.provider_id && (cat.provider(r.provider_id) || {}).name);
  add('date', r.date && fmtDay(r.date, lang));
  add('time', r.time && (r.time_alt ? `${r.time} (${t('nlu.or')} ${r.time_alt})` : r.time));
  add('part', r.part_of_day && (t.has('part.' + r.part_of_day) ? t('part.' + r.part_of_day) : r.part_of_day));
  add('name', r.name);
  add('email', r.email);
  add('phone', r.phone);
  add('code', r.code);
  add('lang', r.lang && r.lang.toUpperCase());
  return h('div', { class: 'nlu-result' }, h('div', { class: 'nlu-head' }, icon('sparkles'), h('strong', { text: t('nlu.understood') })), h('dl', { class: 'details' }, rows));
}

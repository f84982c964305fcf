// The sign-in screen: e-mail and password (and the business's id when the e-mail belongs to several).
import { h, icon, mount } from '../../shared/dom.js';
import { describe } from '../../shared/ui.js';

export function renderLogin(root, { t, api, message, setLang, onSignedIn }) {
  const email = h('input', { id: 'login-email', type: 'email', name: 'email', required: true, autocomplete: 'username', autofocus: true });
  const password = h('input', { id: 'login-password', type: 'password', name: 'password', required: true, autocomplete: 'current-password' });
  const tenant = h('input', { id: 'login-tenant', type: 'text', name: 'tenant_id', autocomplete: 'off' });
  const tenantField = h('div', { class: 'field', hidden: true }, h('label', { for: 'login-tenant', text: t('login.tenant') }), tenant, h('p', { class: 'hint', text: t('login.tenantHint') }));
  const err = h('div', { class: 'alert alert-error', role: 'alert', hidden: !message });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', text: t('login.submit') });
  const showErr = (text) => {
    err.hidden = !text;
    mount(err, text ? [icon('alert'), h('p', { text })] : []);
  };
  if (message) showErr(message);

  async function onSubmit(e) {
    e.preventDefault();
    showErr(null);
    submit.disabled = true;
    try {
      const body = { email: email.value.trim(), password: password.value };
      if (tenant.value.trim()) body.tenant_id = tenant.value.trim();
      const r = await api.post('/v1/auth/login', body);
      await onSignedIn(r);
    } catch (e) {
      if (e.status === 400 && /tenant_id/.test(e.message || '')) {
        tenantField.hidden = false;
        showErr(t('login.several'));
        tenant.focus();
      } else if (e.status === 401) showErr(t('login.wrong'));
      else if (e.status === 429) showErr(t('login.tooMany'));
      else showErr(describe(e));
    } finally {
      submit.disabled = false;
    }
  }

  const lang = t.lang();
  mount(
    root,
    h(
      'div',
      { class: 'auth' },
      h(
        'div',
        { class: 'auth-box' },
        h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, icon('chat')), h('span', { text: 'bookchat' })),
        h('h1', { text: t('login.title') }),
        h('p', { class: 'muted', text: t('login.lead') }),
        h(
          'form',
          { onsubmit: onSubmit, class: 'login-form' },
          err,
          h('div', { class: 'field' }, h('label', { for: 'login-email', text: t('login.email') }), email),
          h('div', { class: 'field' }, h('label', { for: 'login-password', text: t('login.password') }), password),
          tenantField,
          submit,
        ),
        h(
          'div',
          { class: 'auth-foot' },
          h('span', { class: 'muted', text: t('login.help') }),
          h(
            'div',
            { class: 'seg', role: 'group', 'aria-label': t('ui.language') },
            ['es', 'en'].map((l) => h('button', { type: 'button', lang: l, 'aria-pressed': String(lang === l), text: l.toUpperCase(), onclick: () => (setLang(l), renderLogin(root, { t, api, message, setLang, onSignedIn })) })),
          ),
        ),
      ),
    ),
  );
  email.focus();
}

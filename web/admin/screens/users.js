// Staff users and their roles (owners only): owner (everything), admin (everything but users), viewer
// (reads only). Adding a user without a password shows the generated one once; the last owner cannot
// be removed or demoted (the API says 409).
import { h, icon, mount } from '../../shared/dom.js';
import { badge, button, card, codeBlock, confirm, dialog, pageHeader, table, toast, rowLink } from '../../shared/ui.js';
import { form } from '../../shared/form.js';
import { fmtInstant } from '../../shared/format.js';

const ROLE_KIND = { owner: 'brand', admin: 'info', viewer: 'neutral' };

export default {
  async render(ctx) {
    const { t, api, lang, tz, me } = ctx;
    const users = await api.all('/v1/admin/users');
    if (!ctx.current()) return;
    const roles = ['owner', 'admin', 'viewer'];
    mount(ctx.main, 
      pageHeader(t('nav.users'), t('users.lead'), button(t('users.new'), { kind: 'primary', ico: 'plus', onclick: () => create(ctx, roles) })),
      h('div', { class: 'roles-help' }, roles.map((r) => h('div', { class: 'role-help' }, badge(t('role.' + r), ROLE_KIND[r]), h('span', { class: 'small muted', text: t('role.' + r + 'Text') })))),
      card(
        null,
        table(
          [
            { label: t('users.email'), cls: 'lead', cell: (u) => h('div', {}, h('span', { class: 'cell-main' }, rowLink(u.email, () => edit(ctx, u, roles))), h('span', { class: 'cell-sub', text: u.id === me.user.id ? t('users.you') : u.name || '' })) },
            { label: t('users.role'), cell: (u) => badge(t('role.' + u.role), ROLE_KIND[u.role]) },
            { label: t('users.since'), cell: (u) => fmtInstant(u.created_at, lang, tz, { dateStyle: 'medium' }) },
          ],
          users,
          { onRow: (u) => edit(ctx, u, roles), caption: t('nav.users') },
        ),
        { cls: 'flush' },
      ),
    );
  },
};

function create(ctx, roles) {
  const { t, api } = ctx;
  const f = form(
    [
      { name: 'email', label: t('users.email'), type: 'email', required: true, wide: true },
      { name: 'name', label: t('users.name'), maxlength: 120 },
      { name: 'role', label: t('users.role'), type: 'select', options: roles.map((r) => ({ value: r, label: t('role.' + r) })) },
      { name: 'password', label: t('users.password'), type: 'password', wide: true, hint: t('users.passwordHint'), attrs: { minlength: 8, autocomplete: 'new-password' } },
    ],
    { role: 'admin' },
    { t },
  );
  dialog({
    title: t('users.new'),
    body: f.el,
    actions: [
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('users.create'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          if (!v.password) delete v.password;
          if (!v.name) delete v.name;
          const r = await api.post('/v1/admin/users', v);
          if (r.user.password)
            dialog({
              title: t('users.created'),
              body: [h('div', { class: 'alert alert-warn' }, icon('alert'), h('p', { text: t('users.passwordOnce', { email: r.user.email }) })), codeBlock(r.user.password, { secret: true })],
              actions: [{ label: t('keys.done'), kind: 'primary' }],
              onClose: () => ctx.refresh(),
            });
          else {
            toast(t('users.createdToast', { email: r.user.email }));
            ctx.refresh();
          }
        },
      },
    ],
  });
}

function edit(ctx, u, roles) {
  const { t, api, me } = ctx;
  const f = form(
    [
      { name: 'role', label: t('users.role'), type: 'select', wide: true, options: roles.map((r) => ({ value: r, label: t('role.' + r) })) },
      { name: 'password', label: t('users.newPassword'), type: 'password', wide: true, hint: t('users.newPasswordHint'), attrs: { minlength: 8, autocomplete: 'new-password' } },
    ],
    { role: u.role },
    { t },
  );
  dialog({
    title: u.email,
    body: f.el,
    actions: [
      u.id !== me.user.id && {
        label: t('users.remove'),
        kind: 'danger',
        icon: 'trash',
        onClick: async () => {
          if (!(await confirm({ title: t('users.removeTitle'), text: t('users.removeText', { email: u.email }), confirmLabel: t('users.remove'), danger: true }))) return false;
          await api.del(`/v1/admin/users/${u.id}`);
          toast(t('users.removed'));
          ctx.refresh();
        },
      },
      { label: t('ui.cancel'), kind: 'ghost' },
      {
        label: t('ui.save'),
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const v = f.read();
          const body = {};
          if (v.role !== u.role) body.role = v.role;
          if (v.password) body.password = v.password;
          if (!Object.keys(body).length) return;
          await api.patch(`/v1/admin/users/${u.id}`, body);
          toast(t('ui.saved'));
          if (u.id === me.user.id && body.role && body.role !== 'owner') location.reload();
          else ctx.refresh();
        },
      },
    ].filter(Boolean),
  });
}

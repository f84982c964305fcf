// The settings' live preview: this page runs in an iframe of the settings screen and loads the real
// /widget.js, but answers the widget's API calls itself with the settings being edited (read from the
// parent page, same origin), so colour, title, greeting, logo and position show before they are saved,
// and the preview never creates a real conversation or counts a message. The parent reloads this frame
// when the draft changes.
const draft = (() => {
  try {
    return window.parent !== window && typeof window.parent.bookchatPreviewDraft === 'function' ? window.parent.bookchatPreviewDraft() : null;
  } catch {
    return null;
  }
})() || { locale: 'es', timezone: 'Europe/Madrid', branding: { title: 'bookchat', color: '#0f766e', position: 'right' }, business: { name: 'bookchat' }, services: [] };

const WORDS = {
  es: { greeting: (n) => `¡Hola! Soy el asistente de reservas de ${n}. ¿Qué te gustaría reservar?`, ask: '¿Qué servicio quieres reservar?', preview: 'Esto es una vista previa: guarda los cambios y prueba el chat en tu web.', human: 'Hablar con una persona' },
  en: { greeting: (n) => `Hi! I am the booking assistant of ${n}. What would you like to book?`, ask: 'Which service would you like to book?', preview: 'This is a preview: save your changes and try the chat on your site.', human: 'Talk to a person' },
};
const w = WORDS[draft.locale] || WORDS.es;
const name = draft.business.name || draft.branding.title || 'bookchat';
const greeting = draft.branding.greeting || w.greeting(name);
const opening = [
  { role: 'assistant', text: greeting, quick_replies: [] },
  { role: 'assistant', text: w.ask, quick_replies: [...draft.services.map((s, i) => ({ label: s, payload: 'svc:' + i })), { label: w.human, payload: 'human' }] },
];
const answers = {
  'GET /v1/widget/config': () => ({ locale: draft.locale, timezone: draft.timezone, greeting, branding: { ...draft.branding, greeting }, business: { name }, ai_mode: 'fsm' }),
  'POST /v1/widget/conversations': () => ({ conversation: { id: 'preview', token: 'preview', status: 'open', lang: draft.locale }, messages: opening }),
  'GET /v1/widget/conversations/preview': () => ({ conversation: { id: 'preview', status: 'open' }, messages: opening }),
  'POST /v1/widget/conversations/preview/messages': () => ({ messages: [{ role: 'assistant', text: w.preview, quick_replies: [] }], state: 'service', status: 'open' }),
};

const realFetch = window.fetch.bind(window);
window.fetch = (input, init = {}) => {
  const url = new URL(typeof input === 'string' ? input : input.url, location.href);
  const answer = url.origin === location.origin && answers[`${(init.method || 'GET').toUpperCase()} ${url.pathname}`];
  if (!answer) return realFetch(input, init);
  return Promise.resolve(new Response(JSON.stringify(answer()), { status: 200, headers: { 'Content-Type': 'application/json' } }));
};

document.getElementById('site-name').textContent = name;
if (/^#[0-9a-f]{6}$/i.test(draft.branding.color || '')) document.documentElement.style.setProperty('--accent', draft.branding.color);
try {
  // the widget's conversation and "was open" flag (the admin page shares this origin's storage: only
  // the widget's own names are touched)
  for (const st of [localStorage, sessionStorage]) for (const k of Object.keys(st)) if (k.startsWith('bookchat:')) st.removeItem(k);
} catch {
  /* storage blocked */
}
const s = document.createElement('script');
s.src = '/widget.js';
s.dataset.key = 'pk_preview';
s.dataset.open = 'true';
document.body.append(s);

// The demo clinic page: takes the widget key from ?key=pk_live_… (remembered in localStorage, so the page
// also works when reopened without it), embeds the widget exactly as the snippet does, and fills the
// business's name, services and team from the public widget API so the page matches whatever demo tenant
// the key belongs to. Buttons with data-chat open the chat; data-ask="…" also sends that text.
const KEY_STORE = 'bookchat-demo-key';

function keyFromPage() {
  const q = new URLSearchParams(location.search).get('key');
  try {
    if (q) localStorage.setItem(KEY_STORE, q);
    return q || localStorage.getItem(KEY_STORE);
  } catch {
    return q;
  }
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

const money = (n, cur) => {
  try {
    return new Intl.NumberFormat('es-ES', { style: 'currency', currency: cur || 'EUR', maximumFractionDigits: n % 1 ? 2 : 0 }).format(n);
  } catch {
    return `${n} ${cur || ''}`;
  }
};
const initials = (name) =>
  name
    .replace(/^(Dr|Dra|Sr|Sra)\.?\s+/i, '')
    .split(/\s+/)
    .slice(0, 2)
    .map((w) => w.charAt(0).toUpperCase())
    .join('');

async function get(key, path) {
  const r = await fetch(path, { headers: { 'X-Api-Key': key, Accept: 'application/json' } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function fillServices(items) {
  const box = document.getElementById('services');
  box.replaceChildren(
    ...items.map((s) => {
      const card = el('article', 'card service');
      card.append(el('h3', null, s.name));
      if (s.description) card.append(el('p', null, s.description));
      const meta = el('p', 'meta');
      meta.append(el('span', null, `${s.duration_min} min`));
      if (s.price != null) meta.append(el('span', 'price', s.price ? money(s.price, s.currency) : 'Gratis'));
      const book = el('button', 'link-btn', 'Reservar');
      book.type = 'button';
      book.dataset.ask = `Quiero reservar ${s.name}`;
      card.append(meta, book);
      return card;
    }),
  );
}

function fillTeam(items, services) {
  const names = Object.fromEntries(services.map((s) => [s.id, s.name]));
  document.getElementById('team').replaceChildren(
    ...items.map((p) => {
      const card = el('article', 'card person');
      const i = el('span', 'initials', initials(p.name));
      i.setAttribute('aria-hidden', 'true');
      const does = (p.service_ids || []).map((id) => names[id]).filter(Boolean);
      card.append(i, el('h3', null, p.name), el('p', null, does.length ? does.join(' · ') : 'Odontología general'));
      return card;
    }),
  );
}

async function fill(key) {
  try {
    const cfg = await get(key, '/v1/widget/config');
    const b = cfg.business || {};
    if (b.name) {
      document.querySelectorAll('[data-business-name]').forEach((e) => (e.textContent = b.name));
      document.title = `${b.name} · Pide cita online`;
    }
    if (b.address) document.querySelectorAll('[data-business-address]').forEach((e) => (e.textContent = b.address));
    if (b.phone) document.querySelectorAll('[data-business-phone]').forEach((e) => (e.textContent = b.phone));
    if (/^#[0-9a-f]{6}$/i.test(cfg.branding && cfg.branding.color)) document.documentElement.style.setProperty('--brand', cfg.branding.color);
    const services = (await get(key, '/v1/widget/services')).items.filter((s) => s.active !== false);
    if (services.length) fillServices(services);
    const team = (await get(key, '/v1/widget/providers')).items.filter((p) => p.active !== false);
    if (team.length) fillTeam(team, services);
    document.body.dataset.filled = 'api';
  } catch (e) {
    console.info('[demo] showing the sample content:', e.message); // the page still reads well
    document.body.dataset.filled = 'sample';
  }
}

function embed(key) {
  const s = document.createElement('script');
  s.src = '/widget.js';
  s.async = true;
  s.dataset.key = key;
  document.body.append(s);
}

document.addEventListener('click', (e) => {
  const t = e.target.closest('[data-chat], [data-ask]');
  if (!t) return;
  if (!window.BookChat) return document.getElementById('ribbon').scrollIntoView({ behavior: 'smooth' }); // no key: say why
  if (t.dataset.ask) window.BookChat.ask(t.dataset.ask);
  else window.BookChat.open();
});

const key = keyFromPage();
if (key) {
  embed(key);
  fill(key);
} else {
  document.getElementById('no-key').hidden = false;
}

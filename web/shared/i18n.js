// Words of the admin panel and the operator console: each page passes its tables ({es: {...}, en: {...}});
// t(key, vars) picks the current language, fills {name} placeholders and falls back to English, then to the
// key itself (so a missing text shows up plainly rather than as an empty label).
export const LANGS = ['es', 'en'];

export function pickLang(...candidates) {
  for (const c of candidates) {
    const l = String(c || '').slice(0, 2).toLowerCase();
    if (LANGS.includes(l)) return l;
  }
  return 'en';
}

export function makeI18n(tables, lang) {
  let cur = pickLang(lang);
  const t = (key, vars) => {
    let s = (tables[cur] && tables[cur][key]) ?? (tables.en && tables.en[key]) ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] != null ? String(vars[k]) : m));
    return s;
  };
  t.lang = () => cur;
  t.set = (l) => {
    cur = pickLang(l);
    document.documentElement.lang = cur;
  };
  t.has = (key) => !!(tables[cur] && key in tables[cur]) || !!(tables.en && key in tables.en);
  t.set(cur);
  return t;
}

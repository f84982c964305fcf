// Dates, times and numbers for the pages. Calendar days are "YYYY-MM-DD" strings in the business's time
// zone; a booking's start ("2026-12-01T09:00:00+01:00") already carries its wall-clock time in that zone,
// so its day and time are read from the string rather than converted through the browser's zone.
const pad = (n) => String(n).padStart(2, '0');

// Today in zone tz (the browser's when tz is empty).
export function today(tz) {
  return dayOf(new Date(), tz);
}

export function dayOf(date, tz) {
  try {
    const p = new Intl.DateTimeFormat('en-CA', { timeZone: tz || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
    const g = (t) => p.find((x) => x.type === t).value;
    return `${g('year')}-${g('month')}-${g('day')}`;
  } catch {
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }
}

// Day arithmetic on "YYYY-MM-DD" (through UTC noon: no zone or DST can move the day).
const toUTC = (day) => new Date(day + 'T12:00:00Z');
const fromUTC = (d) => d.toISOString().slice(0, 10);
export const addDays = (day, n) => fromUTC(new Date(toUTC(day).getTime() + n * 86400000));
export const weekday = (day) => ((toUTC(day).getUTCDay() + 6) % 7) + 1; // 1 = Monday … 7 = Sunday
export const weekStart = (day) => addDays(day, 1 - weekday(day));
export const monthStart = (day) => day.slice(0, 8) + '01';
export function monthEnd(day) {
  const d = toUTC(monthStart(day));
  d.setUTCMonth(d.getUTCMonth() + 1);
  return addDays(fromUTC(d), -1);
}
export const daysBetween = (a, b) => Math.round((toUTC(b) - toUTC(a)) / 86400000);

// The wall-clock parts of an ISO date-time with offset.
export function local(iso) {
  const s = String(iso || '');
  const time = s.slice(11, 16);
  return { day: s.slice(0, 10), time, minutes: Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5)) };
}

// A calendar day as words: fmtDay('2026-12-01', 'es', {weekday: 'long'}) → "martes, 1 de diciembre".
export function fmtDay(day, lang, opts = { weekday: 'long', day: 'numeric', month: 'long' }) {
  try {
    const s = new Intl.DateTimeFormat(lang, { ...opts, timeZone: 'UTC' }).format(toUTC(day));
    return s.charAt(0).toUpperCase() + s.slice(1);
  } catch {
    return day;
  }
}

// An instant (ISO with Z or offset) in zone tz: date and time, short.
export function fmtInstant(iso, lang, tz, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  if (!iso) return '';
  try {
    return new Intl.DateTimeFormat(lang, { ...opts, timeZone: tz || undefined }).format(new Date(iso));
  } catch {
    return iso;
  }
}

// "hace 5 minutos" / "5 minutes ago"
export function fmtAgo(iso, lang) {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!isFinite(s)) return '';
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const a = Math.abs(s);
  if (a < 60) return rtf.format(-Math.round(s), 'second');
  if (a < 3600) return rtf.format(-Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(-Math.round(s / 3600), 'hour');
  if (a < 86400 * 30) return rtf.format(-Math.round(s / 86400), 'day');
  return fmtInstant(iso, lang, undefined, { dateStyle: 'medium' });
}

export function fmtNumber(n, lang, opts) {
  if (n == null || !isFinite(n)) return '—';
  return new Intl.NumberFormat(lang, opts).format(n);
}

export function fmtMoney(n, currency, lang) {
  if (n == null || n === '') return '—';
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency: currency || 'EUR', maximumFractionDigits: n % 1 ? 2 : 0 }).format(n);
  } catch {
    return `${n} ${currency || ''}`.trim();
  }
}

// minutes since midnight → "09:30"
export const hhmm = (m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
export const minutesOf = (s) => Number(String(s).slice(0, 2)) * 60 + Number(String(s).slice(3, 5));

// A few common IANA zones for pickers, plus the current one.
export function zones(current) {
  let all = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    all = ['Europe/Madrid', 'Atlantic/Canary', 'Europe/London', 'Europe/Lisbon', 'America/Mexico_City', 'America/Bogota', 'America/Argentina/Buenos_Aires', 'America/New_York', 'UTC'];
  }
  if (current && !all.includes(current)) all = [current, ...all];
  return all;
}

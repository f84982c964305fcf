// DOM helpers shared by the admin panel and the operator console: elements from a tag, properties and
// children (text is always text, never parsed as HTML, so nothing the API returns can inject markup), and
// line icons from the lucide package built with createElementNS (no innerHTML; fine under the pages' CSP).
import {
  createElement,
  Activity,
  ArrowLeft,
  CalendarDays,
  CalendarPlus,
  Check,
  ChevronLeft,
  ChevronRight,
  CircleAlert,
  Clock,
  Copy,
  Download,
  ExternalLink,
  Eye,
  Globe,
  House,
  Info,
  KeyRound,
  LayoutList,
  LogOut,
  Menu,
  MessagesSquare,
  Pencil,
  Plus,
  RefreshCw,
  ScrollText,
  Search,
  Settings,
  ShieldCheck,
  Sparkles,
  Stethoscope,
  Tag,
  Trash2,
  UserRound,
  Users,
  X,
  CalendarOff,
  Building2,
  Ban,
  RotateCcw,
  Mail,
  Send,
  Webhook,
} from 'lucide';

const ICONS = {
  activity: Activity,
  back: ArrowLeft,
  calendar: CalendarDays,
  'calendar-plus': CalendarPlus,
  'calendar-off': CalendarOff,
  check: Check,
  prev: ChevronLeft,
  next: ChevronRight,
  alert: CircleAlert,
  clock: Clock,
  copy: Copy,
  download: Download,
  external: ExternalLink,
  eye: Eye,
  globe: Globe,
  home: House,
  info: Info,
  key: KeyRound,
  list: LayoutList,
  logout: LogOut,
  menu: Menu,
  chat: MessagesSquare,
  edit: Pencil,
  plus: Plus,
  refresh: RefreshCw,
  audit: ScrollText,
  search: Search,
  settings: Settings,
  shield: ShieldCheck,
  sparkles: Sparkles,
  pro: Stethoscope,
  tag: Tag,
  trash: Trash2,
  user: UserRound,
  users: Users,
  close: X,
  building: Building2,
  ban: Ban,
  restore: RotateCcw,
  mail: Mail,
  send: Send,
  webhook: Webhook,
};

// h('button', {class: 'btn', onclick: fn, disabled: true}, 'Save'): props become attributes, except
// class, text, on* (listeners), dataset (object), style (object, set through CSSOM, which the CSP allows)
// and the live properties value/checked/selected/indeterminate. null, undefined and false are skipped.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const k in props || {}) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') for (const p in v) el.style.setProperty(p, v[p]);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'indeterminate') el[k] = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const c of kids.flat(Infinity)) if (c != null && c !== false && c !== true) el.append(c instanceof Node ? c : String(c));
}

// Replaces the children of el.
export function mount(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

export function icon(name, cls) {
  const node = ICONS[name];
  if (!node) throw new Error(`no icon ${name}`);
  return createElement(node, { class: 'icon' + (cls ? ' ' + cls : ''), 'aria-hidden': 'true', focusable: 'false', width: 18, height: 18 });
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// Small DOM helpers for the widget: elements from a tag, properties and children (text always as text,
// never parsed as HTML), and line icons built with createElementNS (no innerHTML, so pages that enforce
// Trusted Types or a strict CSP still run the widget).
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const k in props || {}) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
const PATHS = {
  chat: 'M12 3c5 0 9 3.4 9 7.6s-4 7.6-9 7.6c-1 0-2-.1-2.9-.4L4.5 20l1-3.7C4 14.9 3 12.9 3 10.6 3 6.4 7 3 12 3z',
  close: 'M6 6l12 12M18 6 6 18',
  send: 'M5 12h13M12 5l7 7-7 7',
  restart: 'M3.5 12a8.5 8.5 0 1 0 2.6-6.1M3.5 4v4.5H8',
  calendar: 'M7 3v3m10-3v3M4 9h16M5.5 5h13A1.5 1.5 0 0 1 20 6.5v12a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 4 18.5v-12A1.5 1.5 0 0 1 5.5 5z',
  check: 'm5 12.5 4.5 4.5L19 7.5',
  alert: 'M12 8v5m0 3.5v.5M10.3 3.9 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  prev: 'm15 18-6-6 6-6',
  next: 'm9 18 6-6-6-6',
  offline: 'M3 3l18 18M8.5 16.4a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4.2-2.4m5.6.1A10 10 0 0 1 19 12.9M12 20h.01M1.5 9.4A15 15 0 0 1 6 6.6m4-1.5a15 15 0 0 1 12.5 4.3',
};

export function icon(name, cls) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon' + (cls ? ' ' + cls : ''));
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', PATHS[name]);
  svg.append(p);
  return svg;
}

// Text with its http(s) links made clickable (everything else stays text).
export function linkified(text) {
  const out = [];
  let last = 0;
  String(text).replace(/https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g, (url, at) => {
    out.push(text.slice(last, at), h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: url }));
    last = at + url.length;
    return url;
  });
  out.push(text.slice(last));
  return out.filter((x) => x !== '');
}

// The CSS variables of an accent colour ("#rrggbb"): the colour itself, the text on it (white or near black,
// whichever contrasts more) and the ink for text on white (the colour, or dark grey when it is too light to
// read). The widget and the manage page set them on their root.
export function accentVars(color) {
  const lum = luminance(color);
  return {
    '--bc-accent': color,
    '--bc-on-accent': contrast(lum, 1) >= contrast(lum, 0) ? '#fff' : '#111827',
    '--bc-ink': contrast(lum, 1) >= 3 ? color : '#1f2937',
  };
}

function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

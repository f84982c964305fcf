// Forms from a list of fields, for the create/edit dialogs and the settings pages. The same description
// renders inputs (for staff who may change things) or a read-only list of values (for viewers: what they
// cannot do is not offered). read() returns the values typed: numbers as numbers (blank = null), check
// boxes as booleans, check lists as arrays, "lines" as an array of non-empty lines.
//
// field: {name, label, type: text|email|tel|url|password|number|textarea|select|checkbox|checks|color|date|
//         time|lines, required, min, max, step, maxlength, pattern, options: [{value, label}], hint,
//         placeholder, wide (spans both columns), show(value) for the read-only text, attrs}
import { h } from './dom.js';

let uid = 0;

export function form(fields, values = {}, { readOnly = false, t = (k) => k } = {}) {
  const inputs = {};
  const rows = fields.map((f) => (readOnly ? shown(f, values[f.name], t) : field(f, values[f.name], inputs)));
  const el = h(readOnly ? 'dl' : 'div', { class: readOnly ? 'details' : 'form-grid' }, rows);
  return {
    el,
    inputs,
    read() {
      const out = {};
      for (const f of fields) if (inputs[f.name]) out[f.name] = inputs[f.name].read();
      return out;
    },
  };
}

function field(f, value, inputs) {
  const id = `f${++uid}-${f.name}`;
  const hintId = f.hint ? id + '-hint' : null;
  const common = { id, name: f.name, required: f.required, placeholder: f.placeholder, 'aria-describedby': hintId, ...(f.attrs || {}) };
  let control, read;
  switch (f.type) {
    case 'textarea':
    case 'lines':
      control = h('textarea', { ...common, rows: f.rows || 3, maxlength: f.maxlength });
      control.value = f.type === 'lines' ? (value || []).join('\n') : value ?? '';
      read = () =>
        f.type === 'lines'
          ? control.value
              .split(/[\n,]+/)
              .map((s) => s.trim())
              .filter(Boolean)
          : control.value.trim() || null;
      break;
    case 'select':
      control = h(
        'select',
        common,
        (f.options || []).map((o) => h('option', { value: o.value, text: o.label, selected: String(o.value) === String(value ?? '') })),
      );
      read = () => (control.value === '' ? null : control.value);
      break;
    case 'checkbox':
      control = h('input', { ...common, type: 'checkbox', checked: !!value, required: false });
      read = () => control.checked;
      return h('div', { class: ['field', 'field-check', f.wide && 'wide'] }, h('label', { class: 'check' }, control, h('span', { text: f.label })), f.hint && h('p', { class: 'hint', id: hintId, text: f.hint }), (inputs[f.name] = { control, read }) && null);
    case 'checks': {
      const set = new Set(value || []);
      const boxes = (f.options || []).map((o) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: o.value, checked: set.has(o.value) }), h('span', { text: o.label })));
      control = h('div', { class: 'checks', role: 'group', 'aria-labelledby': id + '-l' }, boxes.length ? boxes : h('p', { class: 'muted', text: f.none || '—' }));
      read = () => boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      inputs[f.name] = { control, read };
      return h('div', { class: ['field', f.wide && 'wide'] }, h('span', { class: 'label', id: id + '-l', text: f.label }), control, f.hint && h('p', { class: 'hint', id: hintId, text: f.hint }));
    }
    case 'number':
      control = h('input', { ...common, type: 'number', inputmode: 'decimal', min: f.min, max: f.max, step: f.step || 'any', value: value ?? '' });
      read = () => (control.value === '' ? null : Number(control.value));
      break;
    default:
      control = h('input', { ...common, type: f.type || 'text', maxlength: f.maxlength, pattern: f.pattern, min: f.min, max: f.max, step: f.step, value: value ?? '', autocomplete: f.autocomplete || 'off' });
      read = () => (control.value.trim() === '' ? null : control.value.trim());
  }
  inputs[f.name] = { control, read };
  return h('div', { class: ['field', f.wide && 'wide'] }, h('label', { for: id, text: f.label + (f.required ? ' *' : '') }), f.prefix ? h('div', { class: 'input-group' }, f.prefix, control) : control, f.hint && h('p', { class: 'hint', id: hintId, text: f.hint }));
}

function shown(f, value, t) {
  let text;
  if (f.show) text = f.show(value);
  else if (f.type === 'checkbox') text = value ? t('ui.yes') : t('ui.no');
  else if (f.type === 'select') text = (f.options || []).find((o) => String(o.value) === String(value ?? ''))?.label;
  else if (f.type === 'checks') text = (f.options || []).filter((o) => (value || []).includes(o.value)).map((o) => o.label).join(', ');
  else if (f.type === 'lines') text = (value || []).join(', ');
  else if (f.type === 'password') text = null;
  else text = value;
  if (f.type === 'password') return null;
  return h('div', { class: ['detail', f.wide && 'wide'] }, h('dt', { text: f.label }), h('dd', { text: text == null || text === '' ? '—' : String(text) }));
}

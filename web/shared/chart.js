// Daily usage charts (uPlot): one chart per measure, bars per day of a month, sized to its container and
// redrawn when the container's width changes. uPlot draws on a canvas and styles its own elements through
// the CSSOM, so it runs under the pages' CSP; its style sheet is imported by the pages' CSS.
import uPlot from 'uplot';
import { h } from './dom.js';

// days: ["2026-12-01", …]; series: [{label, values: [n…], color}]
export function dailyChart({ days, series, lang, height = 180 }) {
  const box = h('div', { class: 'chart' });
  const xs = days.map((d) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 1000);
  const fmtDay = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const bars = uPlot.paths.bars({ size: [0.7, 28], gap: 2 });
  const opts = {
    width: 400,
    height,
    legend: { show: series.length > 1 },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    axes: [
      { stroke: '#64748b', grid: { show: false }, ticks: { stroke: '#e2e8f0' }, font: '12px system-ui, sans-serif', values: (u, vals) => vals.map((v) => fmtDay.format(new Date(v * 1000))) },
      { stroke: '#64748b', grid: { stroke: '#eef2f6' }, ticks: { show: false }, font: '12px system-ui, sans-serif', size: 44, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? new Intl.NumberFormat(lang, { notation: 'compact' }).format(v) : '')) },
    ],
    series: [
      { value: (u, v) => (v == null ? '' : fmtDay.format(new Date(v * 1000))) },
      ...series.map((s) => ({ label: s.label, stroke: s.color, fill: s.color + 'cc', width: 0, paths: bars, points: { show: false } })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], box);
  const ro = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (w > 0 && Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height });
  });
  ro.observe(box);
  box.destroy = () => {
    ro.disconnect();
    plot.destroy();
  };
  return box;
}

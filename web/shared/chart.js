// Daily usage charts (uPlot): one chart per measure, bars per day of a month, sized to its container and
// redrawn when the container's width changes. uPlot draws on a canvas and styles its own elements through
// the CSSOM, so it runs under the pages' CSP; its style sheet is imported by the pages' CSS. uPlot is
// loaded on first use (its own chunk, ~20 KB gzipped), so a page without charts never downloads it.
import { h } from './dom.js';

let lib = null;
const loadUPlot = () => (lib ||= import('uplot').then((m) => m.default));

// days: ["2026-12-01", …]; series: [{label, values: [n…], color}]
// Returns the chart's box at once (its height reserved); the plot is drawn into it when uPlot has loaded,
// then the box gets data-ready. data-sum carries each series' total (comma-separated) for tests and tools.
export function dailyChart({ days, series, lang, height = 180 }) {
  const box = h('div', { class: 'chart', dataset: { sum: series.map((s) => s.values.reduce((a, b) => a + (b || 0), 0)).join(',') } });
  box.style.setProperty('min-height', height + 'px');
  let ro = null, plot = null, gone = false;
  box.destroy = () => {
    gone = true;
    ro?.disconnect();
    plot?.destroy();
  };
  loadUPlot().then((uPlot) => {
    if (!gone) ({ plot, ro } = draw(uPlot, box, { days, series, lang, height }));
  });
  return box;
}

function draw(uPlot, box, { days, series, lang, height }) {
  const xs = days.map((d) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 1000);
  const fmtDay = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const bars = uPlot.paths.bars({ size: [0.7, 28], gap: 2 });
  const opts = {
    width: 400,
    height,
    legend: { show: series.length > 1, live: false }, // the series' names, without cursor values
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    // x: half a day more on each side, so the first and last days' bars are whole
    scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    axes: [
      { stroke: '#64748b', grid: { show: false }, ticks: { stroke: '#e2e8f0' }, splits: () => xs.filter((x, i) => i % 7 === 0), font: '12px system-ui, sans-serif', values: (u, vals) => vals.map((v) => fmtDay.format(new Date(v * 1000))) },
      { stroke: '#64748b', grid: { stroke: '#eef2f6' }, ticks: { show: false }, font: '12px system-ui, sans-serif', size: 44, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? new Intl.NumberFormat(lang, { notation: 'compact' }).format(v) : '')) },
    ],
    series: [
      { value: (u, v) => (v == null ? '' : fmtDay.format(new Date(v * 1000))) },
      ...series.map((s) => ({ label: s.label, stroke: s.color, fill: s.color + 'cc', width: 0, paths: bars, points: { show: false } })),
    ],
  };
  const width = Math.floor(box.getBoundingClientRect().width) || opts.width;
  const plot = new uPlot({ ...opts, width }, [xs, ...series.map((s) => s.values)], box);
  const ro = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (w > 0 && Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height });
  });
  ro.observe(box);
  box.dataset.ready = '';
  return { plot, ro };
}

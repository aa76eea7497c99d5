// Time-series charts on uPlot, driven from Blazor through IJSObjectReference.
// Data is columnar: [[unix seconds...], [series 1...], [series 2...]]; axes use the browser's time zone.
// Every chart is also listed in window.sentinelxCharts so scripts and tests can read it.

const charts = new Map();
window.sentinelxCharts = {
  get: (id) => charts.get(id)?.plot ?? null,
  points: (id) => charts.get(id)?.plot.data[0].length ?? 0,
  ids: () => [...charts.keys()],
};

let loading;
function loadUPlot() {
  if (window.uPlot) return Promise.resolve();
  loading ??= new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "lib/uplot/uPlot.min.css";
    document.head.appendChild(css);
    const script = document.createElement("script");
    script.src = "lib/uplot/uPlot.iife.min.js";
    script.onload = () => resolve();
    script.onerror = () => { loading = undefined; reject(new Error("uPlot did not load")); };
    document.head.appendChild(script);
  });
  return loading;
}

// Colours come from the Radzen theme, so light and dark both read well.
function themeColor(name, fallback) {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

const palette = ["--rz-primary", "--rz-success", "--rz-warning", "--rz-danger", "--rz-info"];
const fallbacks = ["#3f51b5", "#2e7d32", "#ef6c00", "#c62828", "#0288d1"];

const units = {
  percent: (v) => v == null ? "–" : `${v.toFixed(v < 10 ? 1 : 0)}%`,
  bytes: (v) => scaled(v, 1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]),
  bps: (v) => scaled(v, 1024, ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"]),
  count: (v) => v == null ? "–" : v >= 10000 ? `${(v / 1000).toFixed(0)}k` : `${Math.round(v)}`,
  load: (v) => v == null ? "–" : v.toFixed(2),
  ms: (v) => v == null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`,
};

function scaled(v, base, names) {
  if (v == null) return "–";
  let i = 0;
  while (Math.abs(v) >= base && i < names.length - 1) { v /= base; i++; }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${names[i]}`;
}

// Axis and legend times in the browser's zone, in the page's language, 24-hour.
const lang = () => document.documentElement.lang || undefined;
function timeTicks(u, splits, axisIdx, space, incr) {
  const day = 86400, opts = incr >= day ? { month: "2-digit", day: "2-digit" }
    : incr < 60 ? { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }
    : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  const format = new Intl.DateTimeFormat(lang(), opts);
  return splits.map((t) => format.format(new Date(t * 1000)));
}
function timeLegend(u, t) {
  if (t == null) return "–";
  return new Intl.DateTimeFormat(lang(), { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
    .format(new Date(t * 1000));
}

function options(el, spec) {
  const text = themeColor("--rz-text-secondary-color", "#6b7280");
  const grid = themeColor("--rz-border-color", "rgba(128,128,128,.2)");
  const format = units[spec.unit] ?? units.count;
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "11px system-ui, sans-serif" };
  return {
    width: Math.max(200, el.clientWidth),
    height: spec.height || 180,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: spec.unit === "percent" ? [0, 100] : (u, min, max) => [0, Math.max((max ?? 0) * 1.1, 1)] } },
    axes: [
      { ...axis, space: 70, values: timeTicks },
      { ...axis, size: spec.unit === "bps" || spec.unit === "bytes" ? 72 : 48, values: (u, vals) => vals.map(format) },
    ],
    series: [
      { label: spec.timeLabel || "Time", value: timeLegend },
      ...spec.series.map((label, i) => {
        const color = themeColor(palette[i % palette.length], fallbacks[i % fallbacks.length]);
        return { label, stroke: color, width: 1.5, spanGaps: !!spec.spanGaps, fill: spec.series.length === 1 && /^#[0-9a-f]{6}$/i.test(color) ? color + "22" : undefined, value: (u, v) => format(v), points: { show: false } };
      }),
    ],
  };
}

/** Creates (or re-creates) chart `id` inside `el`. spec: { unit, series: [labels], windowSeconds?, height?, spanGaps? }. */
export async function create(el, id, spec, data) {
  // A CSS selector works too, for charts in lists that Blazor re-renders.
  if (typeof el === "string") el = document.querySelector(el);
  if (!el) return;
  await loadUPlot();
  destroy(id);
  const empty = [[], ...spec.series.map(() => [])];
  const plot = new window.uPlot(options(el, spec), data ?? empty, el);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: spec.height || 180 }));
  resize.observe(el);
  charts.set(id, { plot, resize, spec, el });
}

/** Replaces all points of chart `id`. */
export function setData(id, data) {
  const chart = charts.get(id);
  if (chart) chart.plot.setData(data);
}

/** Appends rows [t, v1, v2, ...] and drops points older than the chart's window. */
export function append(id, rows) {
  const chart = charts.get(id);
  if (!chart) return;
  const data = chart.plot.data.map((column) => Array.from(column));
  for (const row of rows) {
    const last = data[0].length ? data[0][data[0].length - 1] : -Infinity;
    if (row[0] <= last) continue;
    row.forEach((v, i) => data[i].push(v));
  }
  if (chart.spec.windowSeconds && data[0].length) {
    const cutoff = data[0][data[0].length - 1] - chart.spec.windowSeconds;
    let drop = 0;
    while (drop < data[0].length && data[0][drop] < cutoff) drop++;
    if (drop) data.forEach((column) => column.splice(0, drop));
  }
  chart.plot.setData(data);
}

export function destroy(id) {
  const chart = charts.get(id);
  if (!chart) return;
  chart.resize.disconnect();
  chart.plot.destroy();
  charts.delete(id);
}

// A system theme that flips (light ↔ dark) re-creates the charts with the new colours.
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", () => {
  for (const [id, chart] of [...charts]) {
    const data = chart.plot.data;
    create(chart.el, id, chart.spec, data);
  }
});

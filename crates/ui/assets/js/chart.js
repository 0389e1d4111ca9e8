// A small SVG line chart, enough for the dashboard: one or more series over
// shared time buckets, y from zero, a hover title per bucket with every
// series' value. Colours come from CSS classes (s0..s3), so the theme
// applies and no inline style is needed.
import { h, s } from "./ui.js";

const W = 600;
const H = 180;
const LEFT = 56;
const BOTTOM = 20;
const TOP = 8;

/**
 * times: bucket start times (Unix seconds or ISO); series: [{name, values}];
 * format: value -> text for the axis and titles.
 */
export function lineChart({ title, times, series, format = String }) {
  const values = series.flatMap((one) => one.values).filter(Number.isFinite);
  const max = Math.max(0, ...values) || 1;
  const x = (i) => LEFT + (times.length > 1 ? (i * (W - LEFT - 4)) / (times.length - 1) : (W - LEFT) / 2);
  const y = (v) => TOP + (H - TOP - BOTTOM) * (1 - v / max);
  const label = (t) => {
    const date = toDate(t);
    const span = times.length > 1 ? toDate(times.at(-1)) - toDate(times[0]) : 0;
    return span > 36 * 3600e3
      ? date.toLocaleDateString(undefined, { month: "short", day: "numeric" })
      : date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  };

  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  for (const fraction of [0, 0.5, 1]) {
    const at = y(max * fraction);
    svg.append(
      s("line", { class: "axis", x1: LEFT, x2: W, y1: at, y2: at }),
      s("text", { class: "tick", x: LEFT - 6, y: at + 3, "text-anchor": "end" }, format(max * fraction)),
    );
  }
  if (times.length) {
    const ticks = [...new Set([0, Math.floor((times.length - 1) / 2), times.length - 1])];
    for (const i of ticks) {
      svg.append(s("text", { class: "tick", x: x(i), y: H - 4, "text-anchor": i === 0 ? "start" : i === times.length - 1 ? "end" : "middle" }, label(times[i])));
    }
  }
  series.forEach((one, index) => {
    const points = one.values.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`);
    svg.append(s("polyline", { class: `s${index}`, points: points.join(" ") }));
  });
  // One transparent column per bucket whose title reads all values there:
  // the browser's own tooltip, no script on hover.
  const step = times.length > 1 ? (W - LEFT) / (times.length - 1) : W - LEFT;
  times.forEach((t, i) => {
    const text = [toDate(t).toLocaleString(), ...series.map((one) => `${one.name}: ${format(one.values[i] ?? 0)}`)].join("\n");
    svg.append(s("rect", { x: x(i) - step / 2, y: 0, width: step, height: H, fill: "transparent" }, s("title", {}, text)));
  });

  return h("div", { class: "panel chart" },
    h("div", { class: "row spread" },
      h("strong", {}, title),
      h("div", { class: "legend" }, series.map((one, i) => h("span", {}, h("span", { class: `swatch s${i}` }), one.name)))),
    times.length ? svg : h("p", { class: "muted" }, "No requests in this range."));
}

function toDate(t) {
  return new Date(typeof t === "number" && t < 1e11 ? t * 1000 : t);
}

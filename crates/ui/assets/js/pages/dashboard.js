// Dashboard: traffic, latency, errors, tokens and spend over a time range
// (GET /logs/stats), the top models, keys and teams, and what is in flight
// right now (GET /model_group/info, refreshed every two seconds).
import { get, query } from "../api.js";
import { lineChart } from "../chart.js";
import { errorBox, every, fill, h, money, ms, num, percent, table } from "../ui.js";

// Each range has a bucket size that gives 30 to 60 points on the charts.
const RANGES = [
  { label: "Last 15 minutes", seconds: 900, bucket: 15 },
  { label: "Last hour", seconds: 3600, bucket: 60 },
  { label: "Last 6 hours", seconds: 21600, bucket: 300 },
  { label: "Last 24 hours", seconds: 86400, bucket: 1800 },
  { label: "Last 7 days", seconds: 604800, bucket: 10800 },
  { label: "Last 30 days", seconds: 2592000, bucket: 43200 },
];

export default {
  render(main) {
    const saved = Number(sessionStorage.getItem("switchboard.range") ?? 1);
    const picker = h("select", { id: "range", "aria-label": "Time range" },
      RANGES.map((r, i) => h("option", { value: i, selected: i === saved }, r.label)));
    const updated = h("span", { class: "muted" });
    const tiles = h("div", { class: "tiles" });
    const charts = h("div", { class: "grid" });
    const tops = h("div", { class: "grid" });
    const live = h("div", { class: "panel" }, h("p", { class: "muted" }, "Loading…"));
    const inFlight = tile("In flight now", "…");
    fill(main,
      h("div", { class: "row spread" },
        h("h1", {}, "Dashboard"),
        h("div", { class: "row" }, picker,
          h("button", { type: "button", class: "ghost", onclick: () => loadStats() }, "Refresh"), updated)),
      tiles, charts, tops,
      h("h2", {}, "In flight by model group"), live);

    async function loadStats() {
      const range = RANGES[picker.value];
      const end = new Date();
      const start = new Date(end.getTime() - range.seconds * 1000);
      try {
        const stats = await get(`/logs/stats${query({
          start_time: start.toISOString(), end_time: end.toISOString(), bucket_seconds: range.bucket,
        })}`);
        drawStats(stats, range);
        fill(updated, `updated ${end.toLocaleTimeString()}`);
      } catch (error) {
        fill(tiles, inFlight);
        fill(charts, errorBox(error));
        fill(tops);
      }
    }

    function drawStats(stats, range) {
      const buckets = stats.buckets ?? [];
      const times = buckets.map((b) => b.t);
      const sum = (field) => buckets.reduce((total, b) => total + (Number(b[field]) || 0), 0);
      const requests = sum("requests");
      fill(tiles,
        tile("Requests", num(requests)),
        tile("Requests/s", num(requests / range.seconds, 3)),
        tile("Error rate", percent(sum("errors"), requests)),
        tile("Tokens in / out", `${num(sum("input_tokens"))} / ${num(sum("output_tokens"))}`),
        tile("Spend", money(sum("spend"))),
        inFlight);
      const series = (name, pick) => ({ name, values: buckets.map(pick) });
      fill(charts,
        lineChart({ title: "Requests per second", times, format: (v) => num(v, 2),
          series: [series("req/s", (b) => b.requests / range.bucket)] }),
        lineChart({ title: "Latency", times, format: ms,
          series: [series("p50", (b) => b.p50_ms), series("p99", (b) => b.p99_ms)] }),
        lineChart({ title: "Error rate", times, format: (v) => `${num(v, 1)}%`,
          series: [series("errors", (b) => (b.requests ? (100 * b.errors) / b.requests : 0))] }),
        lineChart({ title: "Tokens", times, format: (v) => num(v),
          series: [series("input", (b) => b.input_tokens), series("output", (b) => b.output_tokens)] }),
        lineChart({ title: "Spend", times, format: money, series: [series("spend", (b) => b.spend)] }));
      const spend = { label: "Spend", num: true, value: (r) => money(r.spend) };
      const count = { label: "Requests", num: true, value: (r) => num(r.requests) };
      fill(tops,
        topPanel("Top models", [{ label: "Model group", value: (r) => r.model_group ?? "–" }, count, spend], stats.top_models),
        topPanel("Top keys", [{ label: "Key", value: (r) => r.key_alias ?? shortHash(r.key_hash) }, count, spend], stats.top_keys),
        topPanel("Top teams", [{ label: "Team", value: (r) => r.team_id ?? "(no team)" }, count, spend], stats.top_teams));
    }

    async function loadLive() {
      try {
        const groups = (await get("/model_group/info")).data ?? [];
        const total = groups.reduce((n, g) => n + (g.in_flight ?? 0), 0);
        fill(inFlight.querySelector(".value"), num(total));
        fill(live, table([
          { label: "Model group", value: (g) => g.model_group },
          { label: "In flight", num: true, value: (g) => num(g.in_flight) },
          { label: "Healthy deployments", num: true, value: (g) => `${g.healthy_deployments}/${g.deployments}` },
          { label: "p50", num: true, value: (g) => ms(g.latency_p50_ms) },
          { label: "p95", num: true, value: (g) => ms(g.latency_p95_ms) },
        ], groups, "No model groups this key may use."));
      } catch (error) {
        fill(live, errorBox(error));
      }
    }

    picker.addEventListener("change", () => {
      sessionStorage.setItem("switchboard.range", picker.value);
      loadStats();
    });
    loadStats();
    loadLive();
    const stopStats = every(15, loadStats);
    const stopLive = every(2, loadLive);
    return () => { stopStats(); stopLive(); };
  },
};

function tile(label, value) {
  return h("div", { class: "tile" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

function topPanel(title, columns, rows) {
  return h("div", { class: "panel" }, h("strong", {}, title), table(columns, rows ?? [], "No requests in this range."));
}

function shortHash(hash) {
  return hash ? `${hash.slice(0, 10)}…` : "–";
}

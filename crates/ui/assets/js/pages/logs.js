// Logs: the request log with the log API's filters and cursor paging
// (GET /logs), and one request in detail (GET /logs/{request_id}): bodies,
// timings, every attempt, cost.
import { get, query } from "../api.js";
import { errorBox, fill, h, list, money, ms, num, pretty, table, when } from "../ui.js";

const PAGE = 50;
const RANGES = [["Last 15 minutes", 900], ["Last hour", 3600], ["Last 24 hours", 86400], ["Last 7 days", 604800], ["Last 30 days", 2592000], ["All time", 0]];
const FILTERS = ["key_alias", "team_id", "user_id", "model_group", "provider", "min_latency_ms", "q"];
const SAVED = "switchboard.logs.filters";

// Rows may carry the store's field names or LiteLLM's SpendLogs names; the
// first one present wins.
export function field(row, ...names) {
  for (const name of names) if (row?.[name] !== undefined && row[name] !== null) return row[name];
  return undefined;
}
const started = (r) => field(r, "started_at", "startTime", "start_time");
const httpStatus = (r) => field(r, "http_status", "status_code", "status");
const cost = (r) => field(r, "cost", "spend");
const inTokens = (r) => field(r, "input_tokens", "prompt_tokens");
const outTokens = (r) => field(r, "output_tokens", "completion_tokens");

function statusBadge(row) {
  const status = httpStatus(row);
  const good = typeof status === "number" ? status < 400 : status === "success";
  return h("span", { class: `badge ${good ? "ok" : "bad"}` }, String(status ?? "–"));
}

export default {
  render(main, who, [requestId]) {
    if (requestId) return detail(main, requestId);
    return search(main);
  },
};

function search(main) {
  const saved = JSON.parse(sessionStorage.getItem(SAVED) ?? "{}");
  const inputs = {};
  const input = (name, label, attrs = {}) => {
    inputs[name] = h("input", { id: `log-${name}`, name, value: saved[name] ?? "", autocomplete: "off", ...attrs });
    return h("label", { for: `log-${name}` }, label, inputs[name]);
  };
  inputs.range = h("select", { id: "log-range", name: "range" },
    RANGES.map(([label, seconds]) => h("option", { value: seconds, selected: String(seconds) === String(saved.range ?? 86400) }, label)));
  inputs.status = h("select", { id: "log-status", name: "status" },
    [["", "Any"], ["success", "Success"], ["failure", "Failure"], ["429", "429"], ["400", "400"], ["500", "500"], ["502", "502"], ["504", "504"]]
      .map(([value, label]) => h("option", { value, selected: value === (saved.status ?? "") }, label)));
  const results = h("div", { "aria-live": "polite" });
  const more = h("button", { type: "button", class: "ghost", hidden: true }, "Load more");
  const form = h("form", { class: "panel" },
    h("div", { class: "fields" },
      h("label", { for: "log-range" }, "Time", inputs.range),
      h("label", { for: "log-status" }, "Status", inputs.status),
      input("model_group", "Model group"),
      input("provider", "Provider"),
      input("key_alias", "Key alias"),
      input("team_id", "Team"),
      input("user_id", "User"),
      input("min_latency_ms", "Latency at least (ms)", { type: "number", min: 0 }),
      input("q", "Search text", { placeholder: "request id, error, body…" })),
    h("div", { class: "row", id: "log-actions" },
      h("button", { type: "submit" }, "Search"),
      h("button", { type: "button", class: "ghost", onclick: reset }, "Clear")));
  fill(main, h("h1", {}, "Logs"), form, results, more);

  let cursor = null;
  let rows = [];
  let startedAt = 0;

  function params() {
    const values = { range: inputs.range.value, status: inputs.status.value };
    for (const name of FILTERS) values[name] = inputs[name].value.trim();
    sessionStorage.setItem(SAVED, JSON.stringify(values));
    const seconds = Number(values.range);
    const end = new Date();
    return {
      start_time: seconds ? new Date(end.getTime() - seconds * 1000).toISOString() : "",
      end_time: end.toISOString(),
      status: values.status,
      ...Object.fromEntries(FILTERS.map((name) => [name, values[name]])),
      limit: PAGE,
    };
  }

  let current = {};
  async function load(next) {
    if (!next) { current = params(); rows = []; }
    startedAt = performance.now();
    more.disabled = true;
    try {
      const page = await get(`/logs${query({ ...current, cursor: next ?? "" })}`);
      rows = rows.concat(page.data ?? []);
      cursor = page.next_cursor ?? null;
      draw(performance.now() - startedAt);
    } catch (error) {
      fill(results, errorBox(error));
      more.hidden = true;
    } finally {
      more.disabled = false;
    }
  }

  function draw(elapsed) {
    fill(results,
      h("p", { class: "muted", id: "log-count" }, `${rows.length} request${rows.length === 1 ? "" : "s"}${cursor ? " (more available)" : ""} · ${Math.round(elapsed)} ms`),
      table([
        { label: "Time", value: (r) => h("a", { href: `#/logs/${encodeURIComponent(r.request_id)}`, class: "log-link" }, when(started(r))) },
        { label: "Status", value: statusBadge },
        { label: "Model group", value: (r) => field(r, "model_group", "model") ?? "–" },
        { label: "Provider", value: (r) => field(r, "provider", "custom_llm_provider") ?? "–" },
        { label: "Key", value: (r) => field(r, "key_alias") ?? "–" },
        { label: "Team", value: (r) => field(r, "team_id") ?? "–" },
        { label: "Latency", num: true, value: (r) => ms(field(r, "latency_ms")) },
        { label: "Tokens in/out", num: true, value: (r) => `${num(inTokens(r))} / ${num(outTokens(r))}` },
        { label: "Cost", num: true, value: (r) => money(cost(r)) },
      ], rows, "No requests match these filters."));
    more.hidden = !cursor;
  }

  function reset() {
    sessionStorage.removeItem(SAVED);
    for (const name of FILTERS) inputs[name].value = "";
    inputs.status.value = "";
    load();
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  more.addEventListener("click", () => load(cursor));
  load();
}

function detail(main, requestId) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  fill(main,
    h("div", { class: "row spread" },
      h("h1", {}, "Request ", h("span", { class: "mono" }, requestId)),
      h("a", { href: "#/logs" }, "← Back to the logs")),
    body);
  get(`/logs/${encodeURIComponent(requestId)}`).then((record) => {
    const r = record?.data ?? record;
    const attempts = field(r, "attempt_log") ?? [];
    const kv = (pairs) => h("dl", { class: "kv" }, pairs.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value ?? "–")]));
    fill(body,
      h("div", { class: "grid" },
        h("div", { class: "panel" }, h("strong", {}, "Request"), kv([
          ["Status", statusBadge(r)],
          ["Error", field(r, "error")],
          ["Started", when(started(r))],
          ["Route", field(r, "route", "call_type")],
          ["Model requested", field(r, "model")],
          ["Model group", field(r, "model_group")],
          ["Deployment", field(r, "deployment_id", "model_id")],
          ["Provider", field(r, "provider", "custom_llm_provider")],
          ["Upstream model", field(r, "upstream_model")],
          ["Stream", String(field(r, "stream") ?? "–")],
        ])),
        h("div", { class: "panel" }, h("strong", {}, "Who"), kv([
          ["Key alias", field(r, "key_alias")],
          ["Key hash", h("span", { class: "mono" }, field(r, "key_hash", "api_key") ?? "–")],
          ["User", field(r, "user_id", "user")],
          ["Team", field(r, "team_id")],
          ["Organization", field(r, "organization_id")],
          ["Customer", field(r, "end_user")],
          ["Tags", list(field(r, "tags", "request_tags"))],
        ])),
        h("div", { class: "panel" }, h("strong", {}, "Timings and cost"), kv([
          ["Latency", ms(field(r, "latency_ms"))],
          ["Time to first token", ms(field(r, "ttft_ms"))],
          ["Gateway overhead", ms(field(r, "overhead_ms"))],
          ["Attempts", num(field(r, "attempts") ?? attempts.length)],
          ["Tokens in / out", `${num(inTokens(r))} / ${num(outTokens(r))}`],
          ["Cached / reasoning tokens", `${num(field(r, "cached_tokens"))} / ${num(field(r, "reasoning_tokens"))}`],
          ["Cost", money(cost(r))],
        ]))),
      h("h2", {}, "Attempts"),
      table([
        { label: "Group", value: (a) => a.group ?? "–" },
        { label: "Deployment", value: (a) => a.deployment ?? "–" },
        { label: "Status", value: (a) => String(a.status ?? "–") },
        { label: "Error", value: (a) => a.error ?? "–" },
        { label: "Time", num: true, value: (a) => ms(a.ms) },
        { label: "Hedge", value: (a) => (a.hedge ? "yes" : "no") },
      ], Array.isArray(attempts) ? attempts : [], "No attempt was recorded."),
      h("div", { class: "grid" },
        h("div", {}, h("h2", {}, "Request body"), h("pre", { id: "request-body" }, pretty(field(r, "request_body", "request")))),
        h("div", {}, h("h2", {}, "Response body"), h("pre", { id: "response-body" }, pretty(field(r, "response_body", "response"))))));
  }, (error) => fill(body, errorBox(error)));
}

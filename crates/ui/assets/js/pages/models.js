// Models: every deployment of every model group with the router's live view
// (GET /model/info, /model_group/info: in flight, latency, this minute's
// traffic, cooldowns), refreshed every three seconds; proxy admins add,
// edit and remove deployments without a restart (/model/new|update|delete).
import { get, post } from "../api.js";
import { confirmDialog, errorBox, every, fill, formDialog, h, message, ms, num, table } from "../ui.js";

// litellm_params the form edits one by one; anything else goes in "extra".
const PARAMS = [
  { name: "model", label: "Provider/model", placeholder: "openai/gpt-4o-mini" },
  { name: "api_base", label: "API base", placeholder: "(catalog default)" },
  { name: "api_key", label: "API key", type: "password", placeholder: "os.environ/NAME or the key" },
  { name: "weight", label: "Weight", type: "number" },
  { name: "order", label: "Order (tier)", type: "number" },
  { name: "rpm", label: "Requests per minute", type: "number" },
  { name: "tpm", label: "Tokens per minute", type: "number" },
  { name: "max_parallel_requests", label: "Parallel requests", type: "number" },
  { name: "timeout", label: "Timeout (s)", type: "number" },
];

export default {
  render(main, who) {
    const status = h("div", { "aria-live": "polite" });
    const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const add = who.admin ? h("button", { type: "button", id: "add-deployment", onclick: () => edit() }, "Add deployment") : null;
    fill(main, h("div", { class: "row spread" }, h("h1", {}, "Models"), add), status, body);

    async function load() {
      // A keyboard user working in the tables keeps their focus: the live
      // refresh waits until focus leaves them.
      if (body.contains(document.activeElement) && body.dataset.loaded) return;
      try {
        const [deployments, groups] = await Promise.all([get("/model/info"), get("/model_group/info")]);
        draw(deployments.data ?? [], groups.data ?? []);
        body.dataset.loaded = "yes";
      } catch (error) {
        fill(body, errorBox(error));
      }
    }

    function draw(deployments, groups) {
      if (!groups.length) {
        fill(body, message("No model groups this key may use."));
        return;
      }
      fill(body, groups.map((group) => {
        const rows = deployments.filter((d) => d.model_name === group.model_group);
        return h("section", { class: "panel", "data-group": group.model_group },
          h("div", { class: "row spread" },
            h("h2", {}, group.model_group),
            h("span", { class: "muted" },
              `${group.healthy_deployments}/${group.deployments} healthy · ${num(group.in_flight)} in flight · p50 ${ms(group.latency_p50_ms)} · p95 ${ms(group.latency_p95_ms)} · ${group.strategy}`)),
          table([
            { label: "Deployment id", value: (d) => h("span", { class: "mono" }, d.model_info?.id) },
            { label: "Model", value: (d) => d.litellm_params?.model },
            { label: "Weight", num: true, value: (d) => num(d.litellm_params?.weight, 2) },
            { label: "Order", num: true, value: (d) => num(d.litellm_params?.order) },
            { label: "In flight", num: true, value: (d) => num(d.health?.in_flight) },
            { label: "Latency", num: true, value: (d) => ms(d.health?.latency_ms) },
            { label: "Req/min", num: true, value: (d) => num(d.health?.requests_this_minute) },
            { label: "Fail/min", num: true, value: (d) => num(d.health?.failures_this_minute) },
            { label: "Health", value: health },
            ...(who.admin ? [{ label: "", value: (d) => h("div", { class: "row" },
              h("button", { type: "button", class: "small ghost", onclick: () => edit(d) }, "Edit"),
              h("button", { type: "button", class: "small danger", onclick: () => remove(d) }, "Remove")) }] : []),
          ], rows));
      }));
    }

    async function edit(deployment) {
      const current = deployment ? { model_name: deployment.model_name, ...deployment.litellm_params } : { weight: null };
      const spec = [
        { name: "model_name", label: "Model group (what clients ask for)" },
        ...(deployment ? [] : [{ name: "id", label: "Deployment id (empty: derived)" }]),
        ...PARAMS,
        { name: "extra", label: "Other litellm_params (JSON object)", type: "json" },
      ];
      try {
        const done = await formDialog(deployment ? `Edit deployment ${deployment.model_info.id}` : "Add deployment", spec, current, (values) => {
          const { model_name: name, id, extra, ...params } = values;
          // Empty fields are left out: on an edit they keep their value
          // (the API never shows api_base or api_key, so blank means "unchanged").
          const litellm = Object.fromEntries(Object.entries({ ...params, ...extra }).filter(([, v]) => v !== null));
          if (deployment) {
            const changes = Object.fromEntries(Object.entries(litellm).filter(([k, v]) => deployment.litellm_params?.[k] !== v));
            return post("/model/update", {
              model_info: { id: deployment.model_info.id },
              ...(name !== deployment.model_name ? { model_name: name } : {}),
              litellm_params: changes,
            });
          }
          return post("/model/new", { model_name: name, litellm_params: litellm, model_info: id ? { id } : {} });
        }, deployment ? "Save" : "Add");
        if (done !== undefined) fill(status, message(deployment ? "Deployment updated." : "Deployment added.", "success"));
      } catch (error) {
        fill(status, errorBox(error));
      }
      delete body.dataset.loaded;
      load();
    }

    async function remove(deployment) {
      const id = deployment.model_info.id;
      if (!(await confirmDialog("Remove deployment?", `Remove deployment ${id} from ${deployment.model_name}? Requests in flight finish.`, "Remove"))) return;
      try {
        await post("/model/delete", { id });
        fill(status, message(`Removed ${id}.`, "success"));
      } catch (error) {
        fill(status, errorBox(error));
      }
      delete body.dataset.loaded;
      load();
    }

    load();
    return every(3, load);
  },
};

function health(deployment) {
  const live = deployment.health ?? {};
  if (live.cooling_down) {
    return h("span", { class: "badge bad" }, `cooling down ${num(live.cooldown_remaining_s, 1)} s`);
  }
  return h("span", { class: "badge ok" }, "ready");
}

// What the keys, users, teams, customers, organizations and budgets pages
// share: a list with spend against budget, a filter box, create and edit
// forms, block/unblock and delete. Each page module describes its entity
// (API paths, columns, form fields) and this module does the rest.
import { errorBox, changed, confirmDialog, copyButton, dialog, fill, formDialog, h, list, message, money, pretty, table } from "./ui.js";

/** Limit fields every principal has (LiteLLM's names). */
export const LIMITS = [
  { name: "max_budget", label: "Max budget ($)", type: "number" },
  { name: "soft_budget", label: "Soft budget ($)", type: "number" },
  { name: "budget_duration", label: "Budget resets every", placeholder: "30d, 7d, 1h…" },
  { name: "rpm_limit", label: "Requests per minute", type: "number" },
  { name: "tpm_limit", label: "Tokens per minute", type: "number" },
  { name: "max_parallel_requests", label: "Parallel requests", type: "number" },
];
export const MODELS = { name: "models", label: "Models (comma-separated; empty: all)", type: "list", wide: true };
export const METADATA = { name: "metadata", label: "Metadata (JSON object)", type: "json" };

/** Spend against the budget, with the reset time when there is one. */
export function spendColumn() {
  return {
    label: "Spend / budget", num: true,
    value: (row) => h("span", { title: row.budget_reset_at ? `resets ${row.budget_reset_at}` : "" },
      `${money(row.spend ?? 0)} / ${row.max_budget == null ? "∞" : money(row.max_budget)}`),
  };
}

export const limitsColumn = {
  label: "Limits",
  value: (row) => [row.rpm_limit != null && `${row.rpm_limit} rpm`, row.tpm_limit != null && `${row.tpm_limit} tpm`,
    row.max_parallel_requests != null && `${row.max_parallel_requests} parallel`].filter(Boolean).join(", ") || "–",
};
export const modelsColumn = { label: "Models", value: (row) => list(row.models) };
export const blockedColumn = {
  label: "State",
  value: (row) => h("span", { class: `badge ${row.blocked ? "bad" : "ok"}` }, row.blocked ? "blocked" : "active"),
};

/** A secret shown once, with a copy button (new keys). */
export function showSecret(title, secret) {
  return dialog(title, (close) => h("div", {},
    h("p", {}, "Copy this key now: the gateway keeps only its hash and will not show it again."),
    h("div", { class: "secret" }, h("code", { id: "new-key" }, secret), copyButton(secret)),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => close() }, "Done"))));
}

/** Drops empty values, so a create request sends only what was filled in. */
function filled(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) =>
    v !== null && !(Array.isArray(v) && !v.length) && !(v && typeof v === "object" && !Object.keys(v).length)));
}

/**
 * A page for one kind of entity. spec: {title, noun, id(row), list(page) ->
 * {rows, more}, columns, fields(mode), create(values), update(row, changes),
 * remove(row), block(row, blocked)?, writable(who), blockable(who),
 * creatable(who), actions?: [{label, show(who, row), run(row)}]}.
 */
export function entityPage(spec) {
  return {
    render(main, who) {
      const filter = h("input", { type: "search", id: "filter", placeholder: `Filter ${spec.title.toLowerCase()}…`, "aria-label": "Filter" });
      const status = h("div", { "aria-live": "polite" });
      const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
      const more = h("button", { type: "button", class: "ghost", hidden: true }, "Load more");
      const create = (spec.creatable ?? spec.writable)(who)
        ? h("button", { type: "button", id: "create", onclick: openCreate }, `New ${spec.noun}`)
        : null;
      fill(main, h("div", { class: "row spread" }, h("h1", {}, spec.title), h("div", { class: "row" }, filter, create)), status, body, more);

      let rows = [];
      let page = 1;

      async function load(next = 1) {
        try {
          const result = await spec.list(next);
          rows = next === 1 ? result.rows : rows.concat(result.rows);
          page = next;
          more.hidden = !result.more;
          draw();
        } catch (error) {
          fill(body, errorBox(error));
        }
      }

      function draw() {
        const text = filter.value.trim().toLowerCase();
        const shown = text ? rows.filter((row) => JSON.stringify(row).toLowerCase().includes(text)) : rows;
        const actions = { label: "", value: (row) => h("div", { class: "row" }, rowActions(row)) };
        fill(body, table([...spec.columns, actions], shown, `No ${spec.title.toLowerCase()} yet.`));
      }

      function rowActions(row) {
        const buttons = [h("button", { type: "button", class: "small ghost", onclick: () => details(row) }, "Details")];
        if (spec.writable(who)) {
          buttons.push(h("button", { type: "button", class: "small ghost", onclick: () => openEdit(row) }, "Edit"));
        }
        for (const action of spec.actions ?? []) {
          if (action.show(who, row)) buttons.push(h("button", { type: "button", class: "small ghost", onclick: () => act(() => action.run(row)) }, action.label));
        }
        if (spec.block && (spec.blockable ?? spec.writable)(who)) {
          buttons.push(h("button", { type: "button", class: "small ghost", onclick: () => act(() => spec.block(row, !row.blocked), `${row.blocked ? "Unblocked" : "Blocked"} ${spec.id(row)}.`) },
            row.blocked ? "Unblock" : "Block"));
        }
        if (spec.writable(who)) {
          buttons.push(h("button", { type: "button", class: "small danger", onclick: () => remove(row) }, "Delete"));
        }
        return buttons;
      }

      // Runs a change, reports it, and reloads the list.
      async function act(change, done) {
        try {
          const result = await change();
          if (result === undefined) return;
          fill(status, message(done ?? "Saved.", "success"));
        } catch (error) {
          fill(status, errorBox(error));
        }
        await load();
      }

      function openCreate() {
        act(async () => {
          const result = await formDialog(`New ${spec.noun}`, spec.fields("create"), {}, (values) => spec.create(filled(values)), "Create");
          if (result !== undefined && spec.afterCreate) await spec.afterCreate(result);
          return result;
        }, `Created the ${spec.noun}.`);
      }

      function openEdit(row) {
        const form = spec.fields("edit");
        act(() => formDialog(`Edit ${spec.noun} ${spec.id(row)}`, form, row, (values) => {
          const changes = changed(row, values);
          return Object.keys(changes).length ? spec.update(row, changes) : Promise.resolve(null);
        }), `Saved ${spec.id(row)}.`);
      }

      async function remove(row) {
        const sure = await confirmDialog(`Delete ${spec.noun}?`, `Delete ${spec.noun} ${spec.id(row)}? This cannot be undone.`);
        if (sure) act(() => spec.remove(row), `Deleted ${spec.id(row)}.`);
      }

      function details(row) {
        dialog(`${spec.noun} ${spec.id(row)}`, (close) => h("div", {},
          h("pre", {}, pretty(row)),
          h("div", { class: "actions" }, h("button", { type: "button", onclick: () => close() }, "Close"))));
      }

      filter.addEventListener("input", draw);
      more.addEventListener("click", () => load(page + 1));
      load();
    },
  };
}

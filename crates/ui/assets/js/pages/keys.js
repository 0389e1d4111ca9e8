// Virtual keys (/key/*): a new key is shown once, with a copy button; the
// list shows each key's spend against its budget.
import { get, post, query } from "../api.js";
import { LIMITS, METADATA, MODELS, blockedColumn, entityPage, limitsColumn, modelsColumn, showSecret, spendColumn } from "../entities.js";
import { h, when } from "../ui.js";

const PAGE = 100;

export default entityPage({
  title: "Keys",
  noun: "key",
  id: (key) => key.key_alias ?? key.key_name,
  async list(page) {
    const answer = await get(`/key/list${query({ return_full_object: true, page, size: PAGE })}`);
    return { rows: answer.keys ?? [], more: page < (answer.total_pages ?? 1) };
  },
  columns: [
    { label: "Alias", value: (k) => k.key_alias ?? "–" },
    { label: "Key", value: (k) => h("span", { class: "mono" }, k.key_name) },
    { label: "Team", value: (k) => k.team_id ?? "–" },
    { label: "User", value: (k) => k.user_id ?? "–" },
    modelsColumn,
    spendColumn(),
    limitsColumn,
    { label: "Expires", value: (k) => (k.expires ? when(k.expires) : "never") },
    blockedColumn,
  ],
  fields: (mode) => [
    { name: "key_alias", label: "Alias" },
    { name: "team_id", label: "Team id" },
    { name: "user_id", label: "User id" },
    ...LIMITS,
    ...(mode === "create" ? [{ name: "duration", label: "Expires after", placeholder: "30d (empty: never)" }] : []),
    MODELS,
    METADATA,
  ],
  writable: (who) => who.writes,
  blockable: (who) => who.admin,
  async create(values) { return post("/key/generate", values); },
  afterCreate: (key) => showSecret(`New key ${key.key_alias ?? key.key_name}`, key.key),
  update: (key, changes) => post("/key/update", { key: key.token, ...changes }),
  remove: (key) => post("/key/delete", { keys: [key.token] }),
  block: (key, blocked) => post(blocked ? "/key/block" : "/key/unblock", { key: key.token }),
});

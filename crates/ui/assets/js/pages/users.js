// Users (/user/*): roles decide what each user's keys may do in the admin
// API (docs/ACCESS.md). Non-admins see only themselves.
import { get, post, query } from "../api.js";
import { LIMITS, METADATA, MODELS, entityPage, limitsColumn, modelsColumn, showSecret, spendColumn } from "../entities.js";
import { list } from "../ui.js";

const ROLES = ["internal_user", "internal_user_viewer", "proxy_admin", "proxy_admin_viewer"];
const PAGE = 100;

export default entityPage({
  title: "Users",
  noun: "user",
  id: (user) => user.user_id,
  async list(page) {
    const answer = await get(`/user/list${query({ page, page_size: PAGE })}`);
    return { rows: answer.users ?? [], more: page < (answer.total_pages ?? 1) };
  },
  columns: [
    { label: "User id", value: (u) => u.user_id },
    { label: "Email", value: (u) => u.user_email ?? "–" },
    { label: "Role", value: (u) => u.user_role ?? "–" },
    { label: "Teams", value: (u) => list(u.teams) },
    modelsColumn,
    spendColumn(),
    limitsColumn,
  ],
  fields: (mode) => [
    ...(mode === "create" ? [{ name: "user_id", label: "User id (empty: generated)" }] : []),
    { name: "user_email", label: "Email" },
    { name: "user_alias", label: "Alias" },
    { name: "user_role", label: "Role", type: "select", options: ROLES },
    { name: "organization_id", label: "Organization id" },
    ...(mode === "create" ? [{ name: "teams", label: "Teams (comma-separated)", type: "list" }] : []),
    ...LIMITS,
    MODELS,
    METADATA,
  ],
  writable: (who) => who.admin,
  create: (values) => post("/user/new", values),
  // LiteLLM gives a new user a key; it is shown once, like any new key.
  afterCreate: (user) => (user.key ? showSecret(`Key of user ${user.user_id}`, user.key) : undefined),
  update: (user, changes) => post("/user/update", { user_id: user.user_id, ...changes }),
  remove: (user) => post("/user/delete", { user_ids: [user.user_id] }),
});

// Teams (/team/*): members with roles, limits and models; a team admin
// administers its team's keys (docs/ACCESS.md).
import { get, post } from "../api.js";
import { LIMITS, METADATA, MODELS, blockedColumn, entityPage, limitsColumn, modelsColumn, spendColumn } from "../entities.js";
import { formDialog } from "../ui.js";

export default entityPage({
  title: "Teams",
  noun: "team",
  id: (team) => team.team_alias ?? team.team_id,
  async list() { return { rows: await get("/team/list"), more: false }; },
  columns: [
    { label: "Team id", value: (t) => t.team_id },
    { label: "Alias", value: (t) => t.team_alias ?? "–" },
    { label: "Organization", value: (t) => t.organization_id ?? "–" },
    { label: "Members", value: (t) => (t.members_with_roles ?? []).map((m) => `${m.user_id ?? m.user_email} (${m.role})`).join(", ") || "–" },
    modelsColumn,
    spendColumn(),
    limitsColumn,
    blockedColumn,
  ],
  fields: (mode) => [
    ...(mode === "create" ? [{ name: "team_id", label: "Team id (empty: generated)" }] : []),
    { name: "team_alias", label: "Alias" },
    { name: "organization_id", label: "Organization id" },
    ...LIMITS,
    MODELS,
    METADATA,
  ],
  writable: (who) => who.admin,
  actions: [{
    label: "Add member",
    show: (who) => who.admin,
    run: (team) => formDialog(`Add a member to ${team.team_alias ?? team.team_id}`, [
      { name: "user_id", label: "User id" },
      { name: "user_email", label: "or email" },
      { name: "role", label: "Role", type: "select", options: ["user", "admin"] },
    ], { role: "user" }, (member) => post("/team/member_add", { team_id: team.team_id, member })),
  }],
  create: (values) => post("/team/new", values),
  update: (team, changes) => post("/team/update", { team_id: team.team_id, ...changes }),
  remove: (team) => post("/team/delete", { team_ids: [team.team_id] }),
  block: (team, blocked) => post(blocked ? "/team/block" : "/team/unblock", { team_id: team.team_id }),
});

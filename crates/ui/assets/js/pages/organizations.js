// Organizations (/organization/*): the level above teams, with its own
// budget, limits and models.
import { get, post } from "../api.js";
import { LIMITS, METADATA, MODELS, entityPage, limitsColumn, modelsColumn, spendColumn } from "../entities.js";

export default entityPage({
  title: "Organizations",
  noun: "organization",
  id: (org) => org.organization_alias ?? org.organization_id,
  async list() { return { rows: await get("/organization/list"), more: false }; },
  columns: [
    { label: "Organization id", value: (o) => o.organization_id },
    { label: "Alias", value: (o) => o.organization_alias ?? "–" },
    modelsColumn,
    spendColumn(),
    limitsColumn,
  ],
  fields: (mode) => [
    ...(mode === "create" ? [{ name: "organization_id", label: "Organization id (empty: generated)" }] : []),
    { name: "organization_alias", label: "Alias" },
    ...LIMITS,
    MODELS,
    METADATA,
  ],
  writable: (who) => who.admin,
  create: (values) => post("/organization/new", values),
  update: (org, changes) => post("/organization/update", { organization_id: org.organization_id, ...changes }),
  remove: (org) => post("/organization/delete", { organization_ids: [org.organization_id] }),
});

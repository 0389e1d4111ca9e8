// Budgets (/budget/*): named limits that customers and keys refer to by
// `budget_id`.
import { get, post } from "../api.js";
import { LIMITS, entityPage, limitsColumn, spendColumn } from "../entities.js";

export default entityPage({
  title: "Budgets",
  noun: "budget",
  id: (budget) => budget.budget_id,
  async list() { return { rows: await get("/budget/list"), more: false }; },
  columns: [
    { label: "Budget id", value: (b) => b.budget_id },
    { label: "Resets every", value: (b) => b.budget_duration ?? "–" },
    spendColumn(),
    limitsColumn,
  ],
  fields: (mode) => [
    ...(mode === "create" ? [{ name: "budget_id", label: "Budget id (empty: generated)" }] : []),
    ...LIMITS,
  ],
  writable: (who) => who.admin,
  create: (values) => post("/budget/new", values),
  update: (budget, changes) => post("/budget/update", { budget_id: budget.budget_id, ...changes }),
  remove: (budget) => post("/budget/delete", { id: budget.budget_id }),
});

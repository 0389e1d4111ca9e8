// Customers (/customer/*): the end users a request names in its `user`
// field, with their own budgets and limits.
import { get, post } from "../api.js";
import { LIMITS, METADATA, blockedColumn, entityPage, limitsColumn, spendColumn } from "../entities.js";

export default entityPage({
  title: "Customers",
  noun: "customer",
  id: (customer) => customer.user_id,
  async list() { return { rows: await get("/customer/list"), more: false }; },
  columns: [
    { label: "Customer id", value: (c) => c.user_id },
    { label: "Alias", value: (c) => c.alias ?? "–" },
    { label: "Budget", value: (c) => c.budget_id ?? "–" },
    { label: "Default model", value: (c) => c.default_model ?? "–" },
    spendColumn(),
    limitsColumn,
    blockedColumn,
  ],
  fields: (mode) => [
    ...(mode === "create" ? [{ name: "user_id", label: "Customer id (the request's `user`)" }] : []),
    { name: "alias", label: "Alias" },
    { name: "budget_id", label: "Budget id" },
    { name: "default_model", label: "Default model" },
    { name: "allowed_model_region", label: "Allowed region" },
    ...LIMITS,
    METADATA,
  ],
  writable: (who) => who.admin,
  create: (values) => post("/customer/new", values),
  update: (customer, changes) => post("/customer/update", { user_id: customer.user_id, ...changes }),
  remove: (customer) => post("/customer/delete", { user_ids: [customer.user_id] }),
  block: (customer, blocked) => post(blocked ? "/customer/block" : "/customer/unblock", { user_ids: [customer.user_id] }),
});

// The shell: who is signed in (and so which pages show), the hash router
// (#/logs/<id>: no server-side routes needed), the theme toggle.
import { get, onRefused, query, session } from "./api.js";
import { errorBox, fill, h } from "./ui.js";
import signin from "./pages/signin.js";
import dashboard from "./pages/dashboard.js";
import logs from "./pages/logs.js";
import keys from "./pages/keys.js";
import users from "./pages/users.js";
import teams from "./pages/teams.js";
import customers from "./pages/customers.js";
import organizations from "./pages/organizations.js";
import budgets from "./pages/budgets.js";
import models from "./pages/models.js";
import playground from "./pages/playground.js";

const EVERYONE = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"];
const ADMINS = ["proxy_admin", "proxy_admin_viewer"];

// Pages in menu order, with the roles that see them (docs/ACCESS.md: only
// proxy admins and viewers read customers, organizations and budgets).
const PAGES = [
  { path: "dashboard", label: "Dashboard", page: dashboard, roles: EVERYONE },
  { path: "logs", label: "Logs", page: logs, roles: EVERYONE },
  { path: "keys", label: "Keys", page: keys, roles: EVERYONE },
  { path: "users", label: "Users", page: users, roles: EVERYONE },
  { path: "teams", label: "Teams", page: teams, roles: EVERYONE },
  { path: "customers", label: "Customers", page: customers, roles: ADMINS },
  { path: "organizations", label: "Organizations", page: organizations, roles: ADMINS },
  { path: "budgets", label: "Budgets", page: budgets, roles: ADMINS },
  { path: "models", label: "Models", page: models, roles: EVERYONE },
  { path: "playground", label: "Playground", page: playground, roles: EVERYONE },
];

const main = document.getElementById("main");
let identity = null;
let cleanup = null;

/**
 * Who a key belongs to. The master key has no key document (`/key/info`
 * without a key answers 400 for it), so it is the proxy admin; a virtual
 * key's role is its user's, and a key without a user is an internal user
 * (docs/ACCESS.md). A refused key rejects with the gateway's 401.
 */
export async function identify(key) {
  let info;
  try {
    info = (await get("/key/info", { key })).info;
  } catch (error) {
    if (error.status === 400) return { role: "proxy_admin", name: "master key" };
    throw error;
  }
  let role = "internal_user";
  if (info.user_id) {
    try {
      const user = await get(`/user/info${query({ user_id: info.user_id })}`, { key });
      role = user.user_info?.user_role ?? role;
    } catch { /* the key's user may be gone: treat as an internal user */ }
  }
  return { role, userId: info.user_id, teamId: info.team_id, token: info.token, name: info.key_alias ?? info.key_name };
}

/** What the signed-in role may do, for showing or hiding actions. */
function abilities(role) {
  return {
    role,
    admin: role === "proxy_admin",
    readsAll: ADMINS.includes(role),
    writes: role === "proxy_admin" || role === "internal_user",
  };
}

async function start() {
  applyTheme(localStorage.getItem("switchboard.theme") ?? "auto");
  document.getElementById("theme").addEventListener("click", cycleTheme);
  document.getElementById("signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  onRefused(() => { signOut("Your key was refused by the gateway: sign in again."); });
  if (session.key) {
    try {
      const who = await identify(session.key);
      identity = { ...who, ...abilities(who.role) };
    } catch (error) {
      session.clear();
      identity = null;
      fill(main, errorBox(error));
    }
  }
  route();
}

export function signedIn(who) {
  identity = { ...who, ...abilities(who.role) };
  if (!location.hash || location.hash === "#/signin") location.hash = "#/dashboard";
  else route();
}

function signOut(reason) {
  session.clear();
  identity = null;
  location.hash = "#/signin";
  route(typeof reason === "string" ? reason : undefined);
}

function route(reason) {
  if (cleanup) { cleanup(); cleanup = null; }
  const top = document.getElementById("top");
  if (!identity) {
    top.hidden = true;
    document.title = "Sign in · switchboard";
    signin.render(main, { signedIn, identify, reason });
    return;
  }
  const [path, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const visible = PAGES.filter((p) => p.roles.includes(identity.role));
  const entry = visible.find((p) => p.path === path) ?? visible[0];
  top.hidden = false;
  fill(document.getElementById("nav"), visible.map((p) =>
    h("a", { href: `#/${p.path}`, "aria-current": p === entry ? "page" : null }, p.label)));
  fill(document.getElementById("who"), `${identity.name} · ${identity.role.replaceAll("_", " ")}`);
  document.title = `${entry.label} · switchboard`;
  main.replaceChildren();
  // A page renders at once (loading what it needs in the background) and
  // may return a function that stops its timers when the page is left.
  cleanup = entry.page.render(main, identity, rest.map(decodeURIComponent)) ?? null;
  main.focus({ preventScroll: true });
}

const THEMES = ["auto", "light", "dark"];
function applyTheme(theme) {
  if (theme === "auto") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", theme);
  const button = document.getElementById("theme");
  button.textContent = { auto: "◐ Auto", light: "☀ Light", dark: "☾ Dark" }[theme];
  button.setAttribute("aria-label", `Theme: ${theme}`);
  localStorage.setItem("switchboard.theme", theme);
}
function cycleTheme() {
  const now = localStorage.getItem("switchboard.theme") ?? "auto";
  applyTheme(THEMES[(THEMES.indexOf(now) + 1) % THEMES.length]);
}

start();

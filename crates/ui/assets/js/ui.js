// Small DOM helpers shared by the pages. Text always goes in through
// textContent (never innerHTML), so data from the gateway cannot inject
// markup, and the strict Content-Security-Policy needs no exceptions.

/** An element: h("button", {class: "x", onclick: f}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";
/** An SVG element, with the same calling convention as h(). */
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

function setAttributes(element, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// ----- formatting -----

export function money(value) {
  if (value === undefined || value === null) return "–";
  const n = Number(value);
  if (n !== 0 && Math.abs(n) < 0.01) return `$${n.toPrecision(2)}`;
  return `$${n.toFixed(2)}`;
}

export function num(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return "–";
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function ms(value) {
  if (value === undefined || value === null) return "–";
  const n = Number(value);
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export function percent(part, whole) {
  if (!whole) return "–";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** A time (ISO text or Unix milliseconds) in the reader's time zone. */
export function when(value) {
  if (value === undefined || value === null || value === "") return "–";
  const date = new Date(typeof value === "number" && value < 1e11 ? value * 1000 : value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function list(values) {
  return Array.isArray(values) && values.length ? values.join(", ") : "–";
}

export function pretty(value) {
  if (value === undefined || value === null || value === "") return "–";
  if (typeof value === "string") {
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch { return value; }
  }
  return JSON.stringify(value, null, 2);
}

// ----- messages -----

/** A box with the reason something failed; a missing endpoint says so. */
export function errorBox(error) {
  if (error?.missingEndpoint) {
    return h("div", { class: "message missing", role: "status" },
      h("strong", {}, "Not available on this gateway. "),
      `${error.method} ${error.path.split("?")[0]} answered 404: this version of switchboard does not offer it yet.`);
  }
  const status = error?.status ? ` (HTTP ${error.status})` : "";
  return h("div", { class: "message error", role: "alert" }, `${error?.message ?? error}${status}`);
}

export function message(text, kind = "") {
  return h("div", { class: `message ${kind}`, role: "status" }, text);
}

/** A button that copies `text` and says so. */
export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "small ghost" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      // Clipboard access needs a secure context; select the text instead.
      const range = document.createRange();
      range.selectNodeContents(button.previousElementSibling ?? button);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

// ----- tables -----

/**
 * A table. columns: [{label, value: row => text|Node, num: bool}].
 * Empty rows show `empty`.
 */
export function table(columns, rows, empty = "Nothing here yet.") {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col" }, c.label)));
  const body = rows.length
    ? rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null, "data-label": c.label }, c.value(row)))))
    : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty))];
  return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
}

// ----- dialogs and forms -----

/**
 * Opens a modal dialog (Escape closes it, focus stays inside) and resolves
 * when it closes. `build(close)` returns its content.
 */
export function dialog(title, build) {
  return new Promise((resolve) => {
    const box = h("dialog", { "aria-label": title });
    const close = (value) => { box.close(); resolve(value); };
    box.append(h("h2", {}, title), build(close));
    box.addEventListener("close", () => { box.remove(); resolve(undefined); });
    document.body.append(box);
    box.showModal();
  });
}

export function confirmDialog(title, text, action = "Delete") {
  return dialog(title, (close) => h("div", {},
    h("p", {}, text),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "ghost", onclick: () => close(false) }, "Cancel"),
      h("button", { type: "button", class: "danger", onclick: () => close(true) }, action))));
}

/**
 * Form fields from a spec: [{name, label, type: text|number|list|json|select|bool|password|textarea,
 * options, placeholder, wide, help}]. `values` fills them in.
 * Returns {element, read()} where read() gives the typed values.
 */
export function fields(spec, values = {}) {
  const inputs = {};
  const element = h("div", { class: "fields" }, spec.map((field) => {
    const id = `f-${field.name.replace(/\W/g, "-")}`;
    const initial = shown(field, values[field.name]);
    let input;
    if (field.type === "select") {
      input = h("select", { id, name: field.name },
        field.options.map((o) => h("option", { value: o, selected: o === initial }, o || "—")));
    } else if (field.type === "bool") {
      input = h("input", { id, name: field.name, type: "checkbox", checked: Boolean(values[field.name]) });
      inputs[field.name] = input;
      return h("label", { class: "check", for: id }, input, field.label);
    } else if (field.type === "json" || field.type === "textarea") {
      input = h("textarea", { id, name: field.name, rows: field.rows ?? 3, placeholder: field.placeholder, class: "mono" });
      input.value = initial;
    } else {
      input = h("input", {
        id, name: field.name, value: initial, placeholder: field.placeholder,
        type: field.type === "number" ? "number" : field.type === "password" ? "password" : "text",
        step: field.type === "number" ? "any" : null, autocomplete: "off",
      });
    }
    inputs[field.name] = input;
    return h("label", { for: id, class: field.wide || field.type === "json" ? "wide" : null },
      field.label, input, field.help ? h("span", { class: "muted" }, field.help) : null);
  }));
  const read = () => {
    const out = {};
    for (const field of spec) out[field.name] = parse(field, inputs[field.name]);
    return out;
  };
  return { element, read, inputs };
}

function shown(field, value) {
  if (value === undefined || value === null) return field.type === "select" ? "" : "";
  if (field.type === "list") return Array.isArray(value) ? value.join(", ") : String(value);
  if (field.type === "json") return Object.keys(value).length ? JSON.stringify(value, null, 2) : "";
  return String(value);
}

function parse(field, input) {
  if (field.type === "bool") return input.checked;
  const text = input.value.trim();
  if (field.type === "number") return text === "" ? null : Number(text);
  if (field.type === "list") return text ? text.split(",").map((t) => t.trim()).filter(Boolean) : [];
  if (field.type === "json") {
    if (!text) return {};
    try { return JSON.parse(text); } catch (error) { throw new Error(`${field.label}: not valid JSON (${error.message})`); }
  }
  return text === "" ? null : text;
}

/** The fields of `after` that differ from `before` (an update sends only those). */
export function changed(before, after) {
  const out = {};
  for (const [name, value] of Object.entries(after)) {
    const old = before[name] ?? (Array.isArray(value) ? [] : value && typeof value === "object" ? {} : null);
    if (JSON.stringify(old) !== JSON.stringify(value)) out[name] = value;
  }
  return out;
}

/**
 * A form in a dialog: submits `action(values)`; errors show inside, the
 * dialog stays open. Resolves to action's result, or undefined if cancelled.
 */
export function formDialog(title, spec, values, action, submitLabel = "Save") {
  return dialog(title, (close) => {
    const form = fields(spec, values);
    const status = h("div", { "aria-live": "polite" });
    const submit = h("button", { type: "submit" }, submitLabel);
    const element = h("form", {},
      form.element, status,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "ghost", onclick: () => close(undefined) }, "Cancel"),
        submit));
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        close(await action(form.read()));
      } catch (error) {
        fill(status, errorBox(error));
      } finally {
        submit.disabled = false;
      }
    });
    return element;
  });
}

/** Runs `load` every `seconds` while the page shows; returns a stop function. */
export function every(seconds, load) {
  let timer = null;
  const tick = async () => {
    // A failed refresh shows its own error; the next one still runs.
    try { if (!document.hidden) await load(); } catch { /* shown by load */ }
    timer = setTimeout(tick, seconds * 1000);
  };
  timer = setTimeout(tick, seconds * 1000);
  return () => clearTimeout(timer);
}

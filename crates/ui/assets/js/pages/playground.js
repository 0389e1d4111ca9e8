// Playground: chat with any model group the key may use (GET /v1/models)
// through POST /v1/chat/completions, streamed: the SSE stream is read with
// fetch and a ReadableStream, so tokens show as they arrive. The same
// request is shown as curl and as openai-SDK Python code.
import { authHeaders, errorMessage, get } from "../api.js";
import { copyButton, errorBox, fill, h, ms } from "../ui.js";

export default {
  render(main) {
    const model = h("select", { id: "pg-model", "aria-label": "Model" });
    const system = h("textarea", { id: "pg-system", rows: 2, placeholder: "You are a helpful assistant." });
    const prompt = h("textarea", { id: "pg-prompt", rows: 3, placeholder: "Ask something… (Ctrl+Enter sends)" });
    const temperature = h("input", { id: "pg-temperature", type: "number", min: 0, max: 2, step: 0.1, placeholder: "default" });
    const maxTokens = h("input", { id: "pg-max-tokens", type: "number", min: 1, placeholder: "default" });
    const stream = h("input", { id: "pg-stream", type: "checkbox", checked: true });
    const send = h("button", { type: "submit", id: "pg-send" }, "Send");
    const stop = h("button", { type: "button", class: "ghost", hidden: true }, "Stop");
    const clear = h("button", { type: "button", class: "ghost" }, "Clear chat");
    const chat = h("div", { class: "chat", id: "pg-chat", "aria-live": "polite" });
    const stats = h("p", { class: "muted", id: "pg-stats" });
    const status = h("div");
    const code = h("pre", { id: "pg-code" });
    let language = "curl";
    const tabs = h("div", { class: "tabs", role: "tablist" }, ["curl", "python"].map((name) =>
      h("button", { type: "button", role: "tab", "aria-selected": String(name === language), "data-tab": name, onclick: () => { language = name; showCode(); } },
        name === "curl" ? "curl" : "Python (openai)")));
    const copy = h("span");
    const form = h("form", {},
      h("div", { class: "fields" },
        h("label", { for: "pg-model" }, "Model group", model),
        h("label", { for: "pg-temperature" }, "Temperature", temperature),
        h("label", { for: "pg-max-tokens" }, "Max tokens", maxTokens),
        h("label", { class: "check", for: "pg-stream" }, stream, "Stream"),
        h("label", { for: "pg-system", class: "wide" }, "System prompt", system),
        h("label", { for: "pg-prompt", class: "wide" }, "Message", prompt)),
      h("div", { class: "row" }, send, stop, clear));
    fill(main, h("h1", {}, "Playground"),
      h("div", { class: "split" },
        h("div", { class: "panel" }, chat, stats, status, form),
        h("div", { class: "panel" }, h("div", { class: "row spread" }, tabs, copy), code)));

    let history = [];
    let controller = null;

    function request(withPrompt = true) {
      const messages = [];
      if (system.value.trim()) messages.push({ role: "system", content: system.value.trim() });
      messages.push(...history);
      if (withPrompt && prompt.value.trim()) messages.push({ role: "user", content: prompt.value.trim() });
      const body = { model: model.value, messages };
      if (temperature.value !== "") body.temperature = Number(temperature.value);
      if (maxTokens.value !== "") body.max_tokens = Number(maxTokens.value);
      if (stream.checked) body.stream = true;
      return body;
    }

    // The snippets name the key by an environment variable: the signed-in
    // key is never printed on screen.
    function showCode() {
      const body = request();
      const base = location.origin;
      const text = language === "curl"
        ? `curl ${base}/v1/chat/completions${body.stream ? " -N" : ""} \\\n  -H "Authorization: Bearer $SWITCHBOARD_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${JSON.stringify(body, null, 2).replaceAll("'", "'\\''")}'`
        : python(base, body);
      fill(code, text);
      fill(copy, copyButton(text));
      for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.tab === language));
    }

    async function submit() {
      if (!prompt.value.trim() || !model.value) return;
      const body = request();
      history.push({ role: "user", content: prompt.value.trim() });
      chat.append(h("div", { class: "bubble user" }, prompt.value.trim()));
      prompt.value = "";
      const reply = h("div", { class: "bubble assistant" });
      chat.append(reply);
      fill(status);
      send.disabled = true;
      stop.hidden = false;
      controller = new AbortController();
      const started = performance.now();
      let first = null;
      try {
        const response = await fetch("/v1/chat/completions", {
          method: "POST",
          headers: { ...authHeaders(), "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        if (!response.ok) {
          const text = await response.text();
          let parsed = text;
          try { parsed = JSON.parse(text); } catch { /* keep the text */ }
          throw Object.assign(new Error(errorMessage(parsed, response.status)), { status: response.status });
        }
        let content = "";
        if (body.stream) {
          for await (const event of sse(response.body)) {
            if (event === "[DONE]") break;
            const chunk = JSON.parse(event);
            if (chunk.error) throw new Error(errorMessage(chunk, 500));
            const delta = chunk.choices?.[0]?.delta?.content ?? "";
            if (delta && first === null) first = performance.now() - started;
            content += delta;
            reply.textContent = content;
            chat.scrollTop = chat.scrollHeight;
          }
        } else {
          const answer = await response.json();
          content = answer.choices?.[0]?.message?.content ?? "";
          reply.textContent = content;
        }
        history.push({ role: "assistant", content });
        const header = (name) => response.headers.get(name);
        fill(stats, [
          `${header("x-litellm-model-group") ?? body.model} via ${header("x-litellm-model-id") ?? "?"}`,
          first !== null ? `first token ${ms(first)}` : null,
          `total ${ms(performance.now() - started)}`,
          header("x-litellm-response-cost") ? `cost $${Number(header("x-litellm-response-cost")).toPrecision(3)}` : null,
          `request ${header("x-request-id") ?? "?"}`,
        ].filter(Boolean).join(" · "));
      } catch (error) {
        if (error.name === "AbortError") {
          reply.append(h("span", { class: "muted" }, " [stopped]"));
        } else {
          reply.remove();
          fill(status, errorBox(error));
        }
      } finally {
        send.disabled = false;
        stop.hidden = true;
        controller = null;
        showCode();
      }
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
    prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
    });
    form.addEventListener("input", showCode);
    stop.addEventListener("click", () => controller?.abort());
    clear.addEventListener("click", () => { history = []; chat.replaceChildren(); fill(stats); showCode(); });

    get("/v1/models").then((answer) => {
      const ids = (answer.data ?? []).map((m) => m.id);
      const saved = sessionStorage.getItem("switchboard.playground.model");
      fill(model, ids.map((id) => h("option", { value: id, selected: id === saved }, id)));
      if (!ids.length) fill(status, errorBox("This key may use no model group."));
      showCode();
    }, (error) => fill(status, errorBox(error)));
    model.addEventListener("change", () => sessionStorage.setItem("switchboard.playground.model", model.value));
    showCode();
    return () => controller?.abort();
  },
};

/** The `data:` payloads of a server-sent event stream, one per event. */
async function* sse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replaceAll("\r\n", "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart());
      if (data.length) yield data.join("\n");
    }
  }
}

function python(base, body) {
  const { model, messages, stream, ...options } = body;
  const args = [`    model=${JSON.stringify(model)},`, `    messages=${pythonValue(messages)},`];
  for (const [name, value] of Object.entries(options)) args.push(`    ${name}=${pythonValue(value)},`);
  if (stream) args.push("    stream=True,");
  const call = `client.chat.completions.create(\n${args.join("\n")}\n)`;
  return [
    "import os",
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url="${base}/v1", api_key=os.environ["SWITCHBOARD_KEY"])`,
    stream
      ? `for chunk in ${call}:\n    print(chunk.choices[0].delta.content or "", end="")`
      : `reply = ${call}\nprint(reply.choices[0].message.content)`,
  ].join("\n");
}

/** A value as a Python literal (dicts and lists; True, False, None). */
function pythonValue(value, indent = "    ") {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) {
    // Messages read best one to a line.
    const inner = `${indent}    `;
    return `[\n${value.map((v) => `${inner}${pythonValue(v, inner)},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonValue(v, indent)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

// Sign-in with the master key or a virtual key. The key is checked against
// the gateway before it is kept (in sessionStorage, for this tab only).
// SSO/JWT sign-in is not offered: the gateway has no JWT auth yet.
import { session } from "../api.js";
import { errorBox, fill, h } from "../ui.js";

export default {
  render(main, { signedIn, identify, reason }) {
    const input = h("input", { id: "key", type: "password", autocomplete: "off", placeholder: "sk-…", required: true });
    const status = h("div", { "aria-live": "polite" }, reason ? errorBox(reason) : null);
    const button = h("button", { type: "submit" }, "Sign in");
    const form = h("form", { class: "panel signin" },
      h("h1", {}, "Sign in to switchboard"),
      h("label", { for: "key" }, "Master key or virtual key", input),
      h("p", { class: "muted" }, "The key stays in this browser tab only and is sent to this gateway as a Bearer token."),
      status,
      h("div", { class: "row" }, button));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      button.disabled = true;
      fill(status, h("p", { class: "muted" }, "Checking the key…"));
      try {
        const who = await identify(key);
        session.key = key;
        signedIn(who);
      } catch (error) {
        fill(status, errorBox(error.status === 401 ? "The gateway did not accept this key." : error));
      } finally {
        button.disabled = false;
      }
    });
    fill(main, form);
    input.focus();
  },
};

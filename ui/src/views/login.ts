// Login with a password, or by turning an API token into a browser session.
import { html, render } from "lit-html";
import { ApiError, login } from "../api";
import type { View } from "../view";

export const loginView: View = (el) => {
  let mode: "password" | "token" = "password";
  let error = "";
  let busy = false;

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    busy = true;
    error = "";
    draw();
    try {
      const s =
        mode === "password"
          ? await login({ name: String(data.get("name") ?? ""), password: String(data.get("password") ?? "") })
          : await login({ token: String(data.get("token") ?? "") });
      el.dispatchEvent(new CustomEvent("corral-login", { detail: s }));
    } catch (err) {
      error = err instanceof ApiError ? err.message : String(err);
      busy = false;
      draw();
    }
  };

  const draw = () =>
    render(
      html`<div class="login">
        <form @submit=${submit} class="card" data-testid="login-form">
          <h1>Corral</h1>
          ${mode === "password"
            ? html`<label>User <input name="name" autocomplete="username" required autofocus /></label>
                <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`
            : html`<label>API token <input name="token" type="password" autocomplete="off" required /></label>`}
          ${error ? html`<p class="error" role="alert">${error}</p>` : ""}
          <button type="submit" ?disabled=${busy}>Log in</button>
          <button
            type="button"
            class="link"
            @click=${() => {
              mode = mode === "password" ? "token" : "password";
              error = "";
              draw();
            }}
          >
            ${mode === "password" ? "Use an API token instead" : "Use a password instead"}
          </button>
        </form>
      </div>`,
      el,
    );
  draw();
  return () => render(html``, el);
};

// Small pieces several views share.
import { html } from "lit-html";

export const stateBadge = (state: string) => html`<span class="state state-${state}">${state}</span>`;

let user = "";
let admin = false;
/** The logged-in user's name and role, set by the shell once the session is known. */
export const currentUser = () => user;
export const isAdmin = () => admin;
export const setCurrentUser = (name: string, role: string) => {
  user = name;
  admin = role === "admin";
};

/**
 * Marks the moment a view first shows its data (Performance API): `view-ready:NAME`, and the
 * measure `view:NAME` from the navigation that opened it. bench/ui reads these.
 */
export function viewReady(name: string): void {
  performance.mark(`view-ready:${name}`);
  if (performance.getEntriesByName("view-start", "mark").length)
    performance.measure(`view:${name}`, "view-start", `view-ready:${name}`);
}

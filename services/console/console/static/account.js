/* The console's sign-in page, the person's own account page, and the administrators' page of
 * people and tokens. Uses console.js's helpers (el, table, flash, when, state, VIEWS...); the
 * server side is console/signin.py (/auth/...). */
"use strict";

// A call to the console's own /auth/... routes: the session's CSRF token on every change.
async function auth(path, body) {
  const init = { method: body === undefined ? "GET" : "POST", credentials: "same-origin", cache: "no-store",
    headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    if (state.csrf) init.headers["X-CSRF-Token"] = state.csrf;
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/auth/${path}`, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let providerName;  // the organization's identity provider, if the console has one
async function identityProvider() {
  if (providerName === undefined) {
    const config = await fetch("/config.json", { cache: "no-store" }).then((r) => r.json()).catch(() => ({}));
    providerName = config.identity_provider || null;
  }
  return providerName;
}

function errorBox(testid) {
  return el("div", { class: "error", hidden: true, role: "alert", "data-testid": testid });
}
function showError(box, message) {
  box.hidden = false;
  box.textContent = message;
}

async function signInView(query) {
  const problem = errorBox("signin-error");
  const user = el("input", { id: "user", name: "user", autocomplete: "username", required: true, spellcheck: "false" });
  const password = el("input", { id: "password", name: "password", type: "password", autocomplete: "current-password",
    required: true });
  const provider = await identityProvider();
  const form = el("form", { class: "card signin", id: "signin" },
    el("h1", {}, "Sign in"),
    el("label", { for: "user" }, "User name"), user,
    el("label", { for: "password" }, "Password"), password,
    problem,
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Sign in")),
    provider ? el("p", {}, el("a", { class: "button", href: "/auth/oidc/start", "data-testid": "provider-signin" },
      `Sign in with ${provider}`)) : null,
    el("p", { class: "muted" }, "No account yet, or a forgotten password? Ask your administrator. ",
      "You stay signed in for a working day, and are signed out after a while without using the console."));
  if (query.get("problem")) showError(problem, query.get("problem"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      startSession(await auth("sign-in", { user: user.value.trim(), password: password.value }));
      password.value = "";
      location.hash = "#/";
      route();
    } catch (error) {
      password.value = "";
      showError(problem, error.data && error.data.message ? sentence(error.data.message) : error.message);
      password.focus();
    }
  });
  return form;
}

const sentence = (text) => { const t = String(text || ""); return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : "."); };
const committeeOf = (c) => (c ? committeeWords(c) : "both Committees");

// -- the person's own account ---------------------------------------------------------------

const accountView = {
  title: "Your account",
  poll: false,
  load: () => auth("session"),
  render(me) {
    const problem = errorBox("password-error");
    const current = el("input", { id: "current-password", type: "password", autocomplete: "current-password", required: true });
    const fresh = el("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true,
      minlength: 12, "aria-describedby": "new-password-help" });
    const form = el("form", { class: "card", id: "own-password" },
      el("h2", {}, "Change your password"),
      el("label", { for: "current-password" }, "Current password"), current,
      el("label", { for: "new-password" }, "New password"), fresh,
      el("p", { class: "muted", id: "new-password-help" }, "At least 12 characters, not containing your user name."),
      problem, el("div", { class: "actions" }, el("button", { type: "submit" }, "Change password")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        startSession(await auth("password", { current_password: current.value, new_password: fresh.value }));
        form.reset();
        flash("Your password was changed; your other sessions have ended.");
      } catch (error) {
        showError(problem, error.data && error.data.message ? sentence(error.data.message) : error.message);
      }
    });
    return el("section", {},
      el("h1", {}, "Your account"),
      el("dl", { class: "facts" },
        el("dt", {}, "Name"), el("dd", {}, me.full_name || me.user),
        el("dt", {}, "User name"), el("dd", {}, me.user),
        el("dt", {}, "Role"), el("dd", {}, ROLE_NAMES[me.role] || human(me.role)),
        el("dt", {}, "Committee"), el("dd", {}, committeeOf(me.committee)),
        el("dt", {}, "Session ends"), el("dd", {}, `${when(me.expires_at)}, or after ${Math.round(me.idle_minutes)} minutes without use`)),
      me.kind === "session" ? form : null);
  },
};

// -- people and tokens (administrators) ---------------------------------------------------------

const ROLE_CHOICES = () => Object.entries(ROLE_NAMES);
const COMMITTEE_CHOICES = [["", "both Committees"], ["ctc", "CTC"], ["1540", "1540"]];

function selectOf(id, choices, value) {
  return el("select", { id, name: id }, choices.map(([v, text]) => el("option", { value: v, selected: v === (value || "") }, text)));
}

// A field of an administrator's form: its label, the input (named as the service names the
// field, so that a refusal marks it: markFields), and a line of help.
function labelled(id, text, input, help, name) {
  if (name) input.setAttribute("name", name);
  return el("div", { class: "field" }, el("label", { for: id }, text), input,
    help ? el("p", { class: "muted", id: `${id}-help` }, help) : null);
}

// A form in the page's dialog: fields, a send button, the refusal in words.
function dialogForm(title, fields, send) {
  const dialog = document.getElementById("dialog");
  const opener = document.activeElement; // the keyboard goes back to it when the dialog closes
  const problem = errorBox("form-error");
  const form = el("form", { method: "dialog" }, el("h2", { id: "dialog-title" }, title), fields, problem,
    el("div", { class: "actions" }, el("button", { type: "submit" }, title),
      el("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const done = await send(form);
      dialog.close();
      if (done) flash(done);
      rerender();
    } catch (error) {
      const marked = formRefusal(problem, form, error);
      if (marked) marked.focus();
    }
  });
  showDialog(form, opener);
}

// A refusal of a form of the console's own (accounts, tokens, files) in its box: the fields to
// correct, each by name, or the service's sentence and its rule; each field named is marked
// (markFields), and the first of them returned, for the focus.
function formRefusal(box, form, error) {
  const d = error.data || {};
  const fields = d.fields ? Object.entries(d.fields).map(([f, p]) => `${human(f)}: ${[].concat(p).join("; ")}`).join(". ") : "";
  showError(box, fields ? `Please correct: ${fields}.` : `${sentence(d.message || error.message)}${d.rule ? ` (rule: ${d.rule})` : ""}`);
  return markFields(form, error);
}

const value = (form, name) => form.querySelector(`#${name}`).value.trim();

// A donor's account or token names the registered donor it is: a select of them, shown only
// while the role chosen is "donor".
async function donorField(prefix, roleSelect) {
  const donors = await donorChoices().catch(() => []);
  const select = selectOf(`${prefix}-donor`, [["", "choose the donor"], ...donors]);
  const row = el("div", { hidden: roleSelect.value !== "donor" }, labelled(`${prefix}-donor`, "Donor", select,
    donors.length ? "Which registered donor this person speaks for." : "No donor is registered yet (Donors page).", "donor_id"));
  roleSelect.addEventListener("change", () => { row.hidden = roleSelect.value !== "donor"; });
  return row;
}

async function addAccount() {
  const role = selectOf("a-role", ROLE_CHOICES(), "visit_coordinator");
  const donor = await donorField("a", role);
  dialogForm("Add an account", [
    labelled("a-user", "User name", el("input", { id: "a-user", required: true, autocomplete: "off" }), "What the person types to sign in, e.g. m.rossi", "user"),
    labelled("a-name", "Full name", el("input", { id: "a-name", autocomplete: "off" }), null, "full_name"),
    labelled("a-email", "E-mail address", el("input", { id: "a-email", type: "email", autocomplete: "off" }),
      "Needed to sign in through the identity provider.", "email"),
    labelled("a-role", "Role", role, null, "role"), donor,
    labelled("a-committee", "Committee", selectOf("a-committee", COMMITTEE_CHOICES), null, "committee"),
    labelled("a-password", "First password", el("input", { id: "a-password", type: "password", autocomplete: "new-password" }),
      "At least 12 characters; give it to the person, who can change it. Leave empty for the identity provider only.", "password"),
  ], async (form) => {
    const account = await auth("users", { user: value(form, "a-user"), full_name: value(form, "a-name"),
      email: value(form, "a-email") || null, role: value(form, "a-role"), committee: value(form, "a-committee") || null,
      donor_id: value(form, "a-role") === "donor" ? value(form, "a-donor") || null : null,
      password: form.querySelector("#a-password").value || null });
    return `Account ${account.user_name} added.`;
  });
}

function changeAccount(a) {
  dialogForm(`Change ${a.user_name}`, [
    labelled("c-name", "Full name", el("input", { id: "c-name", value: a.full_name }), null, "full_name"),
    labelled("c-email", "E-mail address", el("input", { id: "c-email", type: "email", value: a.email || "" }), null, "email"),
    labelled("c-role", "Role", selectOf("c-role", ROLE_CHOICES(), a.role), null, "role"),
    labelled("c-committee", "Committee", selectOf("c-committee", COMMITTEE_CHOICES, a.committee), null, "committee"),
  ], async (form) => {
    await auth(`users/${encodeURIComponent(a.user_name)}/change`, { full_name: value(form, "c-name"),
      email: value(form, "c-email") || null, role: value(form, "c-role"), committee: value(form, "c-committee") || null });
    return `${a.user_name} changed; a change of role or Committee signs them out.`;
  });
}

function resetPassword(a) {
  dialogForm(`Set a password for ${a.user_name}`, [
    labelled("r-password", "New password", el("input", { id: "r-password", type: "password", autocomplete: "new-password", required: true }),
      "At least 12 characters. Their sessions end; the account is unlocked.", "password"),
  ], async (form) => {
    await auth(`users/${encodeURIComponent(a.user_name)}/set-password`, { password: form.querySelector("#r-password").value });
    return `A new password is set for ${a.user_name}.`;
  });
}

async function issueToken() {
  const role = selectOf("t-role", ROLE_CHOICES(), "reporting_staff");
  const donor = await donorField("t", role);
  dialogForm("Issue a token", [
    labelled("t-user", "For (user name)", el("input", { id: "t-user", required: true, autocomplete: "off" }), null, "user"),
    labelled("t-role", "Role", role, null, "role"), donor,
    labelled("t-committee", "Committee", selectOf("t-committee", COMMITTEE_CHOICES), null, "committee"),
    labelled("t-days", "Valid for (days)", el("input", { id: "t-days", type: "number", min: 1, max: 366, value: 90, required: true }),
      null, "expires_in_days"),
  ], async (form) => {
    const issued = await auth("tokens", { user: value(form, "t-user"), role: value(form, "t-role"),
      donor_id: value(form, "t-role") === "donor" ? value(form, "t-donor") || null : null,
      committee: value(form, "t-committee") || null, expires_in_days: Number(value(form, "t-days")) });
    // Shown once, in a dialog of its own: only its hash is kept.
    setTimeout(() => {
      const dialog = document.getElementById("dialog");
      dialog.replaceChildren(el("div", { class: "card" }, el("h2", {}, "The new token"),
        el("p", {}, "Copy it now and give it to its user: it is not shown again."),
        el("p", {}, el("code", { class: "mono", "data-testid": "new-token" }, issued.token)),
        el("div", { class: "actions" }, el("button", { type: "button", onclick: () => dialog.close() }, "Done"))));
      dialog.showModal();
    }, 0);
    return `Token ${issued.token_id} issued.`;
  });
}

const peopleView = {
  title: "People and tokens",
  async load() {
    const [users, tokens] = await Promise.all([auth("users"), auth("tokens")]);
    return { users: users.users, tokens: tokens.tokens };
  },
  render({ users, tokens }) {
    const step = (a, name, text) => el("button", { type: "button", "data-testid": `${name}-${a.user_name}`, onclick: async () => {
      try { await auth(`users/${encodeURIComponent(a.user_name)}/${name}`, {}); flash(`${a.user_name}: ${text.toLowerCase()} done.`); rerender(); }
      catch (error) { flash(sentence(error.data && error.data.message || error.message), true); }
    } }, text);
    const accountRows = users.map((a) => [
      el("span", {}, el("strong", {}, a.full_name), el("br"), el("span", { class: "muted" }, a.user_name)),
      ROLE_NAMES[a.role] || human(a.role), committeeOf(a.committee), a.email || "-",
      a.disabled_at ? badge("disabled", "bad") : a.locked ? badge("locked", "warn") : badge("active", "ok"),
      a.last_signed_in_at ? when(a.last_signed_in_at) : "never",
      el("span", { class: "actions" },
        el("button", { type: "button", onclick: () => changeAccount(a) }, "Change"),
        el("button", { type: "button", onclick: () => resetPassword(a) }, "Set password"),
        a.locked ? step(a, "unlock", "Unlock") : null,
        a.disabled_at ? step(a, "enable", "Enable") : a.user_name !== state.me.user ? step(a, "disable", "Disable") : null)]);
    const revoke = (t) => el("button", { type: "button", "data-testid": `revoke-${t.token_id}`, onclick: async () => {
      try { await auth(`tokens/${t.token_id}/revoke`, {}); flash(t.kind === "session" ? "Session ended." : "Token revoked."); rerender(); }
      catch (error) { flash(sentence(error.data && error.data.message || error.message), true); }
    } }, t.kind === "session" ? "End session" : "Revoke");
    const active = (kind) => tokens.filter((t) => t.kind === kind && t.status === "active");
    const tokenRows = (list, kind) => list.map((t) => [t.user_name, ROLE_NAMES[t.role] || human(t.role), committeeOf(t.committee),
      when(t.issued_at), kind === "session" ? when(t.last_used_at) : when(t.expires_at), revoke(t)]);
    const ended = tokens.filter((t) => t.status !== "active").slice(-20).reverse();
    return el("section", {},
      el("h1", {}, "People and tokens"),
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: addAccount, "data-testid": "add-account" }, "Add an account"),
        el("button", { type: "button", onclick: issueToken, "data-testid": "issue-token" }, "Issue a token")),
      el("h2", {}, "Accounts"),
      table(["person", "role", "Committee", "e-mail", "state", "last signed in", ""], accountRows, "No account yet."),
      el("h2", {}, "Signed in now"),
      table(["user", "role", "Committee", "signed in", "last request", ""], tokenRows(active("session"), "session"), "Nobody."),
      el("h2", {}, "API tokens for scripts"),
      table(["user", "role", "Committee", "issued", "expires", ""], tokenRows(active("api"), "api"), "No active token."),
      el("h2", {}, "Recently ended"),
      table(["user", "kind", "issued", "how it ended"], ended.map((t) => [t.user_name, t.kind === "session" ? "session" : "API token",
        when(t.issued_at), t.status === "revoked" ? `revoked ${when(t.revoked_at)}` : t.status === "idle" ? "unused too long" : `expired ${when(t.expires_at)}`]),
        "None."));
  },
};

VIEWS.signin = () => ({ title: "Sign in", render: () => el("p", {}, "Signed in.") });
VIEWS.account = () => accountView;
VIEWS.people = () => (can("administer") ? peopleView : { title: "People and tokens", render: () => el("p", {}, "Only an administrator manages people and tokens.") });

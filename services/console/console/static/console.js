// The fieldwork web console: one page, plain JavaScript, nothing from the internet.
// Every call goes to this console's own /api/<service>/<path>, which passes it (with the
// signed-in user's token) to the visits, meetings, reporting or notifications service: the services decide
// who may do what, and a refusal is shown as they gave it (status, error, rule, message).
"use strict";

const POLL_MS = Math.max(1, Number(document.body.dataset.pollSeconds) || 3) * 1000;

const ROLE_NAMES = {
  visit_coordinator: "visit coordinator", administrator: "administrator", secretariat: "secretariat",
  working_group_chair: "working-group chair", reporting_staff: "reporting staff", donor: "donor",
};
// What each role may do: the roles the services' routes take (shared/auth.py).
const STAFF = ["visit_coordinator", "working_group_chair", "secretariat", "reporting_staff", "administrator"];
const CAN = {
  readVisits: STAFF,
  driveVisits: ["visit_coordinator", "administrator"],
  readMeetings: STAFF,
  runMeetings: ["secretariat", "administrator"],
  logOutcomes: ["working_group_chair"],
  reports: ["reporting_staff", "administrator"],
  donorShares: ["donor"],
  readDirectory: STAFF,
  editDirectory: ["secretariat", "administrator"],
  administer: ["administrator"],
};

// The directory of contacts (the notifications service): each role and Committee in words.
const CONTACT_ROLES = {
  delegation: "delegation", national_contact_point: "national contact point",
  organization_focal_point: "organization's focal point", donor_contact: "donor's contact", secretariat: "secretariat",
};
// what each role names besides its name and address (the rest are not sent: the service refuses them)
const CONTACT_PARTY = { delegation: "member_state", national_contact_point: "member_state",
  organization_focal_point: "organization", donor_contact: "donor_id", secretariat: null };
const COMMITTEE_NAMES = { ctc: "CTC", 1540: "1540", both: "both Committees" };
const committeeWords = (c) => COMMITTEE_NAMES[c] || String(c ?? "-");
const roleWords = (r) => CONTACT_ROLES[r] || human(r);
// what a notification told, in words: "meeting announced", "pre-visit information overdue"
const noticeWords = (n) => human(n).replace("pre visit info", "pre-visit information");
const todayUTC = () => new Date().toISOString().slice(0, 10);

// The lifecycle stages of the visits board, left to right, and the statuses in each.
const STAGES = [
  ["Proposed", ["proposed"]],
  ["Approved", ["approved"]],
  ["Awaiting consent", ["awaiting_consent"]],
  ["Consented", ["consented", "postponed"]],
  ["Scheduled", ["scheduled"]],
  ["In progress", ["in_progress"]],
  ["Conducted", ["conducted"]],
  ["Ended", ["closed", "declined", "cancelled"]],
];
const VISIT_STATUSES = STAGES.flatMap(([, s]) => s);

const state = { csrf: null, me: null, openapi: {}, view: null, lastData: null, timer: null };

// -- small helpers ---------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const can = (what) => !!state.me && CAN[what].includes(state.me.role);
// A code of the contract as words: the services' own words for it (x-vocabulary of their
// OpenAPI documents, from shared/contract/vocabulary.py), else its underscores as spaces.
const human = (code) => (state.vocab && state.vocab.words[code])
  || String(code ?? "").replace(/[_-]/g, " ").replace("pre visit info", "pre-visit information");
const badge = (text, cls) => el("span", { class: `badge ${cls || ""}` }, text);

// -- plain language: words, States by name, the Committees' time zone --------------------------

// What the services say a person sees: codes in words, the States by name, each Committee's time
// zone. Read once from the visits service's OpenAPI document (public).
async function loadVocabulary() {
  if (!state.vocab) state.vocab = (await openapi("visits"))["x-vocabulary"];
  return state.vocab;
}
const stateName = (code) => (state.vocab && state.vocab.states[code]) || code || "-";
const statesOf = (codes) => (codes || []).map(stateName).join(", ");
// The labels of fields whose names are not the words a person uses.
const FIELD_LABELS = {
  member_state: "State", chair_member_state: "chairing State", member_states: "States", delegations: "delegations attending",
  donor_id: "donor", need_ids: "needs", group_id: "working group", outcome_id: "outcome", outcome_ids: "outcomes",
  amends: "amends (an earlier outcome)", recommendation_id: "recommendation", occurred_at: "when it really happened",
  due_on: "due on", starts_on: "starts on", ends_on: "ends on", starts_at: "starts at", ends_at: "ends at",
  chair_user: "chair's user name", donor_name: "donor", consent_version: "consent (record version)",
  assessment_version: "needs assessment version", hours_before_meeting: "hours before the meeting", thematic_area: "thematic area",
};
const fieldLabel = (name) => FIELD_LABELS[name] || human(name);
// Both Committees sit in New York: the services say where (FIELDWORK_TIME_ZONE_*).
const VIEWER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
function committeeZone(committee) {
  const zones = (state.vocab && state.vocab.time_zones) || {};
  return zones[committee] || Object.values(zones)[0] || "UTC";
}
const placeOf = (zone) => (zone === "UTC" ? "UTC" : `${zone.split("/").pop().replace(/_/g, " ")} time`);
function partsIn(moment, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(moment).map((p) => [p.type, p.value]));
  return { year: +parts.year, month: +parts.month, day: +parts.day, hour: +parts.hour % 24, minute: +parts.minute,
    date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour % 24 === 0 ? "00" : parts.hour}:${parts.minute}` };
}
const clockIn = (moment, zone) => moment.toLocaleString("en-GB", { timeZone: zone, day: "numeric", month: "short",
  year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
// A day as the Committees write it: 7 December 2026.
function written(day) {
  const [y, m, d] = day.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });
}
// A moment in the Committee's time zone, with the viewer's beside it where that reads otherwise.
function when(value, committee) {
  if (!value) return "-";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return written(value);
  const moment = new Date(value);
  if (isNaN(moment)) return String(value);
  const zone = committeeZone(committee);
  const there = clockIn(moment, zone);
  const here = clockIn(moment, VIEWER_ZONE);
  if (here === there) return `${there} ${placeOf(zone)}`;
  const sameDay = here.split(", ")[0] === there.split(", ")[0];
  return `${there} ${placeOf(zone)} (${sameDay ? here.split(", ")[1] : here} your time)`;
}
// The day a moment falls on in the Committee's time zone (YYYY-MM-DD), and its time there.
const dayIn = (value, committee) => partsIn(new Date(value), committeeZone(committee)).date;
const timeIn = (value, committee) => partsIn(new Date(value), committeeZone(committee)).time;
// A date and time typed in the Committee's time zone (a datetime-local input), in UTC.
function zonedToUtc(local, zone) {
  const [day, time] = local.split("T");
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const offset = (ms) => { const p = partsIn(new Date(ms), zone); return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - ms; };
  const utc = wall - offset(wall - offset(wall));
  return new Date(utc).toISOString().replace(/\.\d{3}Z$/, "Z");
}
// An id a person may need (to quote it, or to use it with the CLI): small, with a copy button.
function reference(id, what) {
  const copy = el("button", { type: "button", class: "link", "data-copy": id, onclick: () =>
    navigator.clipboard.writeText(id).then(() => flash(`The ${what}'s reference is copied.`), () => flash(id)) }, "copy");
  return el("p", { class: "reference muted" }, `Reference (for the CLI): `, el("code", { "data-testid": "reference" }, id), " ", copy);
}
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function table(headers, rows, empty) {
  if (!rows.length) return el("p", { class: "muted" }, empty || "None.");
  // a column of buttons has no title to show; a screen reader still names it
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" },
    h === "" ? el("span", { class: "visually-hidden" }, "actions") : h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c))))));
}
function flash(message, isError) {
  const box = document.getElementById("flash");
  box.replaceChildren(el("div", { class: isError ? "error" : "notice" }, message));
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => box.replaceChildren(), 6000);
}

class ApiError extends Error {
  constructor(status, data) {
    const { sentence, problems } = describeError(status, data);
    super([sentence, ...problems].join(" ") + (data && data.rule ? ` (rule: ${data.rule})` : ""));
    this.status = status;
    this.data = data;
    this.sentence = sentence;
    this.problems = problems;
    this.rule = data && data.rule;
  }
}

// A field's problem as the service words it (marshmallow's messages), as what to do about it.
const PROBLEMS = [
  [/^Missing data for required field\.?$|^Field may not be null\.?$|^Shorter than minimum length 1\.?$/, () => "fill it in"],
  [/^Must be one of: /, () => "choose one of the list"],
  [/^Not a valid (date|datetime)\.?$/, () => "enter a date"],
  [/^Not a valid (integer|number)\.?$/, () => "enter a number"],
  [/^Not a valid UUID\.?$/, () => "choose one of the list"],
  [/^Unknown field\.?$/, () => "this form does not take it"],
  [/^String does not match expected pattern\.?$/, () => "use letters, digits and . _ : / - only, no spaces"],
  [/^Longer than maximum length (\d+)\.?$/, (m) => `shorten it to ${m[1]} characters at most`],
];
function problemWords(message) {
  for (const [pattern, say] of PROBLEMS) { const m = pattern.exec(message); if (m) return say(m); }
  return String(message).replace(/\.$/, "");
}
// Each bad field of a 400 answer as "label: what to do"; nested ones ("needs": {"0": {"priority": [...]}})
// name the row: "need 1, priority: choose one of the list".
function fieldProblems(fields, prefix) {
  const lines = [];
  for (const [key, problems] of Object.entries(fields || {})) {
    const label = /^\d+$/.test(key) ? `${prefix ? prefix.replace(/s$/, "") : "item"} ${Number(key) + 1}`
      : (prefix ? `${prefix}, ${fieldLabel(key)}` : fieldLabel(key));
    if (Array.isArray(problems) && problems.every((p) => typeof p === "string")) lines.push(`${label}: ${problems.map(problemWords).join("; ")}.`);
    else if (problems && typeof problems === "object") lines.push(...fieldProblems(problems, /^\d+$/.test(key) ? label : fieldLabel(key)));
    else lines.push(`${label}: ${problemWords(problems)}.`);
  }
  return lines;
}
// A refusal as a sentence that says what to do; the rule's name is kept beside it, for the record.
function describeError(status, data) {
  // the services name States by their codes in messages ("KEN has not consented"): by name here
  const message = data && typeof data === "object" && data.message
    ? String(data.message).replace(/\.?$/, ".").replace(/\b[A-Z]{3}\b/g, (code) => (state.vocab && state.vocab.states[code]) || code) : "";
  if (status === 400 && data && data.fields) {
    return { sentence: "Some of what you entered cannot be taken; correct it and send again:", problems: fieldProblems(data.fields) };
  }
  const sentence = {
    400: `This cannot be taken: ${message || "the request is malformed."} Correct it and send again.`,
    401: "You are not signed in, or your session ended: sign in again.",
    403: data && data.rule === "role_may_not_do_this" ? "Your role may not do this: ask a colleague whose role does."
      : `This is not yours to do: ${message || "the service refused it."}`,
    404: "This record was not found: it may have been removed, or your Committee does not see it.",
    409: data && data.error === "version_conflict"
      ? "Someone changed this record since you opened it: close the form, look at it again, and repeat the step."
      : `The rules refuse this now: ${message} Do first what the record waits for, or change what you entered.`,
    413: "What you sent is too large: send less at a time.",
  }[status] || `The service could not do it (${status})${message ? `: ${message}` : "."} Try again in a moment.`;
  return { sentence, problems: [] };
}
// Show a refusal in a form's box: the sentence, each field's problem, the rule small (account.js has
// a showError of its own, for its plain messages).
function showRefusal(box, error) {
  box.hidden = false;
  if (!(error instanceof ApiError)) { box.textContent = error.message; return; }
  box.replaceChildren(...[el("p", {}, error.sentence),
    error.problems.length ? el("ul", {}, error.problems.map((p) => el("li", {}, p))) : null,
    error.rule ? el("small", { class: "rule", "data-testid": "rule" }, `rule: ${error.rule}`) : null].filter(Boolean));
}

async function api(service, path, options = {}) {
  const headers = { Accept: "application/json" };
  const method = options.method || "GET";
  // The session rides on its HttpOnly cookie; a change also carries the session's CSRF token.
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`/api/${service}${path}`, init);
  if (options.raw) {
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    return response;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && !options.signingIn) signedOut((data && data.message) || "Your session has ended: sign in again.");
    throw new ApiError(response.status, data);
  }
  return data;
}

// -- OpenAPI: forms for every command, built from the services' own input schemas --------------

async function openapi(service) {
  if (!state.openapi[service]) state.openapi[service] = await api(service, "/openapi.json");
  return state.openapi[service];
}
function resolve(doc, schema) {
  let s = schema || {};
  for (let i = 0; s.$ref && i < 10; i++) s = doc.components.schemas[s.$ref.split("/").pop()];
  if (s.allOf && s.allOf.length === 1) s = { ...resolve(doc, s.allOf[0]), ...s, allOf: undefined };
  return s;
}
async function bodySchema(service, path) {
  const doc = await openapi(service);
  const op = doc.paths[path] && doc.paths[path].post;
  if (!op) throw new Error(`the ${service} service offers no POST ${path}`);
  const content = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  return { doc, schema: resolve(doc, content ? content.schema : { type: "object", properties: {} }) };
}

// A form field for one property of a request body. choices gives a select's values
// ([value, words]), or the check boxes of a list; ctx.committee places dates and times in that
// Committee's time zone and gives a row's thematic areas.
function fieldFor(doc, name, prop, required, choices, ctx = {}) {
  prop = resolve(doc, prop);
  const id = `f-${name}`;
  const zone = committeeZone(ctx.committee);
  const label = el("label", { for: id }, fieldLabel(name), required ? " *" : "",
    prop.format === "date-time" ? ` (${placeOf(zone)})` : "", name === "occurred_at" ? el("span", { class: "muted" }, " — empty: now") : "");
  let input;
  const items = prop.type === "array" ? resolve(doc, prop.items) : null;
  const options = (values) => values.map(([value, text]) => el("option", { value }, text));
  if (choices && items) {
    // a few things to pick from (needs, outcomes): a check box each
    return el("fieldset", { class: "field checks", id, "data-kind": "checks", "data-name": name },
      el("legend", {}, fieldLabel(name), required ? " *" : ""),
      choices.length ? choices.map(([value, text], i) => el("label", { class: "check" },
        el("input", { type: "checkbox", name, value, id: `${id}-${i}` }), " ", text))
        : el("p", { class: "muted" }, "Nothing to choose from."));
  } else if (choices) {
    input = el("select", { id, name, "data-kind": "text", required },
      required ? null : el("option", { value: "" }, "—"), options(choices));
  } else if (prop.enum) {
    input = el("select", { id, name, "data-kind": "text", required },
      required ? null : el("option", { value: "" }, "—"), options(enumChoices(prop.enum)));
  } else if (items && items.type === "object") {
    return rowsField(doc, name, items, required, ctx);
  } else if (items && items.enum) {
    input = el("select", { id, name, multiple: true, "data-kind": "list", required, size: Math.min(items.enum.length, 8) },
      options(enumChoices(items.enum)));
    label.append(el("span", { class: "muted" }, " — Ctrl-click to choose more than one"));
  } else if (items) {
    input = el("input", { id, name, "data-kind": "list", required, placeholder: "comma-separated" });
  } else if (prop.type === "boolean") {
    input = el("input", { id, name, type: "checkbox", "data-kind": "boolean" });
  } else if (prop.type === "integer" || prop.type === "number") {
    input = el("input", { id, name, type: "number", "data-kind": "number", required });
  } else if (prop.format === "date") {
    input = el("input", { id, name, type: "date", "data-kind": "text", required });
  } else if (prop.format === "date-time") {
    input = el("input", { id, name, type: "datetime-local", "data-kind": "datetime", "data-zone": zone, required });
  } else if ((prop.maxLength || 0) >= 1000) {
    input = el("textarea", { id, name, "data-kind": "text", required });
  } else {
    input = el("input", { id, name, type: "text", "data-kind": "text", required, maxlength: prop.maxLength });
  }
  return el("div", { class: "field" }, label, input);
}

// The values of an enum as a person reads them: States by name (in the order of their names),
// other codes in words.
function enumChoices(values) {
  const shown = values.filter((v) => v !== null);
  const states = state.vocab ? state.vocab.states : {};
  if (shown.length && shown.every((v) => v in states)) {
    return Object.entries(states).filter(([code]) => shown.includes(code));
  }
  return shown.map((v) => [v, human(v)]);
}

// A list of objects (the needs of an assessment, a report's recommendations) as rows of
// pickers: a select for each closed field (a thematic area from the Committee's own list), a
// box for each text; an optional id is not asked (the record numbers it), and kept on a row
// filled from what was recorded before.
function rowsField(doc, name, items, required, ctx) {
  const keys = Object.keys(items.properties || {});
  const needed = new Set(items.required || []);
  const id = `f-${name}`;
  const one = fieldLabel(name).replace(/s$/, "");
  const rows = el("div", { class: "rows" });
  const areas = state.vocab && ctx.committee ? state.vocab.thematic_areas[ctx.committee] : null;
  const addRow = (values = {}) => {
    const n = rows.children.length;
    const cells = keys.filter((key) => needed.has(key) || !key.endsWith("_id")).map((key) => {
      const prop = resolve(doc, items.properties[key]);
      const cellId = `${id}-${n}-${key}`;
      const choices = key === "thematic_area" && areas ? areas : prop.enum;
      const attrs = { id: cellId, "data-part": key, "aria-label": `${one} ${n + 1}: ${fieldLabel(key)}`, required: needed.has(key) };
      const control = choices ? el("select", attrs, needed.has(key) ? null : el("option", { value: "" }, "—"),
        enumChoices(choices).map(([value, text]) => el("option", { value }, text)))
        : prop.format === "date" ? el("input", { ...attrs, type: "date" })
          : el("input", { ...attrs, type: "text", class: key === "description" || key === "text" ? "wide" : null });
      if (values[key] !== undefined && values[key] !== null) control.value = values[key];
      return el("span", { class: `cell cell-${key}` }, control);
    });
    const row = el("div", { class: "row", "data-row": n, "data-kept": keys.filter((k) => k.endsWith("_id") && !needed.has(k))
      .map((k) => values[k] ? `${k}=${values[k]}` : "").filter(Boolean).join("&") || null },
      cells, el("button", { type: "button", class: "secondary", "aria-label": `remove ${one} ${n + 1}`,
        onclick: () => { row.remove(); } }, "remove"));
    rows.append(row);
  };
  const box = el("fieldset", { class: "field rows-field", id, "data-kind": "rows", "data-name": name, name },
    el("legend", {}, fieldLabel(name), required ? " *" : "",
      el("span", { class: "muted" }, ` — one row a ${one}; ${keys.filter((k) => k.endsWith("_id") && !needed.has(k)).length ? "each is numbered for you" : "fill in each"}`)),
    el("div", { class: "row head", "aria-hidden": "true" }, keys.filter((key) => needed.has(key) || !key.endsWith("_id"))
      .map((key) => el("span", { class: `cell cell-${key}` }, fieldLabel(key)))),
    rows,
    el("button", { type: "button", class: "secondary", "data-add": name, onclick: () => addRow() }, `Add a ${one}`));
  box.fillRows = (list) => { rows.replaceChildren(); (list || []).forEach(addRow); if (!rows.children.length) addRow(); };
  addRow();
  return box;
}

// The JSON body of a form built by fieldFor: empty optional fields are left out.
function formBody(form) {
  const body = {};
  for (const input of form.querySelectorAll("[data-kind]")) {
    if (input.disabled) continue; // a field the form hides now (openForm's shown)
    const kind = input.dataset.kind;
    const name = input.dataset.name || input.name;
    if (kind === "boolean") { if (input.checked) body[name] = true; continue; }
    if (kind === "checks") {
      const values = [...input.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
      if (values.length) body[name] = values;
      continue;
    }
    if (kind === "rows") {
      const rows = [...input.querySelectorAll(".row[data-row]")].map((row) => {
        const item = Object.fromEntries(new URLSearchParams(row.dataset.kept || ""));
        for (const part of row.querySelectorAll("[data-part]")) {
          const value = part.value.trim();
          if (value !== "") item[part.dataset.part] = value;
        }
        return item;
      }).filter((item) => Object.keys(item).some((k) => !k.endsWith("_id")));
      if (rows.length) body[name] = rows;
      continue;
    }
    if (kind === "list" && input.tagName === "SELECT") {
      const values = [...input.selectedOptions].map((o) => o.value);
      if (values.length) body[name] = values;
      continue;
    }
    const value = (input.value || "").trim();
    if (value === "") continue;
    if (kind === "number") body[name] = Number(value);
    else if (kind === "datetime") body[name] = zonedToUtc(value, input.dataset.zone || "UTC");
    else if (kind === "list") body[name] = value.split(",").map((v) => v.trim()).filter(Boolean);
    else body[name] = value;
  }
  return body;
}

// Open the dialog with a form for POST <path> on <service>; on success call done(answer).
// values: what fields start with; shown: { field: (body so far) => whether it is asked now },
// a field not asked is hidden and not sent; committee: the record's (its time zone, its areas).
async function openForm({ service, path, post, title, hidden, choices, skip, values, shown, done, committee }) {
  const dialog = document.getElementById("dialog");
  const opener = document.activeElement; // the keyboard goes back to it when the dialog closes
  const { doc, schema } = await bodySchema(service, path);
  await loadVocabulary();
  const required = new Set(schema.required || []);
  const errorBox = el("div", { class: "error", hidden: true, "data-testid": "form-error", role: "alert" });
  const fields = Object.entries(schema.properties || {})
    .filter(([name]) => !(hidden && name in hidden) && !(skip || []).includes(name))
    .map(([name, prop]) => fieldFor(doc, name, prop, required.has(name), choices && choices[name], { committee }));
  const form = el("form", { method: "dialog", "data-path": post || path },
    el("h2", { id: "dialog-title" }, title),
    fields.length ? fields : el("p", { class: "muted" }, "This step takes no fields."),
    errorBox,
    el("div", { class: "actions" },
      el("button", { type: "submit", name: "submit" }, "Send"),
      el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel")));
  for (const [name, value] of Object.entries(values || {})) {
    const input = form.querySelector(`[name="${name}"]`);
    if (!input || value === null || value === undefined) continue;
    if (input.fillRows) input.fillRows(value);
    else input.value = value;
  }
  const showFields = () => {
    const body = formBody(form);
    for (const [name, asked] of Object.entries(shown || {})) {
      const input = form.querySelector(`[name="${name}"]`);
      if (!input) continue;
      const show = !!asked(body);
      input.closest(".field").hidden = !show;
      input.disabled = !show;
    }
  };
  if (shown) { form.addEventListener("change", showFields); showFields(); }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...formBody(form), ...(hidden || {}) };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api(service, post || path, { method: "POST", body });
      state.refocus = focusKey(opener); // the page is drawn again: focus its new copy, if any
      dialog.close();
      done && done(answer);
    } catch (error) {
      showRefusal(errorBox, error);
      button.disabled = false;
      (markFields(form, error) || button).focus();
    } finally {
      button.disabled = false;
    }
  });
  showDialog(form, opener);
}

// A form in the page's dialog, named by its title (#dialog-title) while it shows, its first
// field focused; the keyboard goes back to ``opener`` when it closes.
function showDialog(form, opener) {
  const dialog = document.getElementById("dialog");
  dialog.replaceChildren(form);
  dialog.setAttribute("aria-labelledby", "dialog-title");
  dialog.addEventListener("close", () => {
    dialog.removeAttribute("aria-labelledby");
    if (opener && opener.isConnected) opener.focus();
  }, { once: true });
  dialog.showModal();
  const first = form.querySelector("input, select, textarea");
  if (first) first.focus();
}

// -- keyboard and screen readers ------------------------------------------------------------

// The fields a refusal names (a 400's "fields"), marked invalid and described by their problem,
// so that a screen reader reads it on the field; answers the first such field, if any.
function markFields(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  let first = null;
  for (const [name, problems] of Object.entries((error.data && error.data.fields) || {})) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input || !input.closest(".field")) continue;
    const id = `${input.id || name}-error`;
    input.closest(".field").append(el("p", { class: "field-error", id }, fieldProblems({ [name]: problems }).join(" ")));
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    first ||= input;
  }
  return first;
}

// What finds the focused control again once the page is drawn anew: a step's button, an id, a
// link's address, the summary of "Other steps".
function focusKey(node) {
  if (!node || node === document.body || !node.closest("#main, #dialog")) return null;
  if (node.dataset.command) return `button[data-command="${CSS.escape(node.dataset.command)}"]`;
  if (node.id) return `#${CSS.escape(node.id)}`;
  if (node.getAttribute("href")) return `a[href="${CSS.escape(node.getAttribute("href"))}"]`;
  const details = node.tagName === "SUMMARY" && node.parentElement.dataset.testid;
  if (details) return `[data-testid="${CSS.escape(details)}"] > summary`; // "Other steps", opened again
  return null;
}
// After the page is drawn: a keyboard user whose control was replaced is not left at the top of
// the page. The same control if it is still there (a step's button: if that step is still
// offered), else the first step offered now, else the page's heading; on another page, its heading.
function settleFocus(key, samePage) {
  if (state.refocus) { key = state.refocus; samePage = true; state.refocus = null; }
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const main = document.getElementById("main");
  let target = null;
  if (key && samePage) {
    target = key.startsWith("button[data-command")
      ? main.querySelector(`[data-testid=next-steps] ${key}`) || main.querySelector("[data-testid=next-steps] button")
      : main.querySelector(key);
  }
  if (!target && (key || !samePage)) target = main.querySelector("h1");
  if (!target) return;
  const details = target.closest("details");
  if (details) details.open = true;
  if (target.tagName === "H1") target.tabIndex = -1;
  target.focus();
}

// "Skip to content" leads to the page's content without touching the address (the pages'
// addresses are in its #fragment).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});

// -- sign-in (the pages themselves are in account.js) ------------------------------------------

// The session ended (signed out, expired, idle, ended by an administrator): back to sign-in.
function signedOut(message) {
  state.me = null;
  state.csrf = null;
  renderHeader();
  if (!location.hash.startsWith("#/signin")) location.hash = "#/signin";
  else route();
  if (message) flash(message, true);
}

async function signOut() {
  await fetch("/auth/sign-out", { method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": state.csrf || "" } }).catch(() => null);
  signedOut("You have signed out.");
}

// Who is signed in: the session the cookie holds, if any (null: nobody).
async function loadSession() {
  const response = await fetch("/auth/session", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return null;
  return response.json();
}

function startSession(session) {
  state.me = session;
  state.csrf = session.csrf_token;
  renderHeader();
}

// -- header and routing ------------------------------------------------------------------------

function navItems() {
  const items = [["#/", "Home"]];
  if (can("readVisits")) items.push(["#/visits", "Visits"]);
  if (can("driveVisits")) items.push(["#/overdue", "Overdue"]);
  if (can("readVisits")) items.push(["#/donors", "Donors"], ["#/organizations", "Organizations"]);
  if (can("readMeetings")) items.push(["#/schedule", "Schedule"], ["#/meetings", "Meetings"], ["#/awaiting", "Awaiting"]);
  if (can("readDirectory")) items.push(["#/directory", "Directory"]);
  if (can("reports")) items.push(["#/reports", "Reports"], ["#/status", "Reporting status"]);
  if (can("donorShares")) items.push(["#/shares", "Shared with you"]);
  if (can("administer")) items.push(["#/people", "People and tokens"]);
  return items;
}

function renderHeader() {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  if (!state.me) { nav.replaceChildren(); who.replaceChildren(); return; }
  const current = location.hash.split("?")[0].split("/").slice(0, 2).join("/") || "#/";
  nav.replaceChildren(...navItems().map(([href, text]) =>
    el("a", { href, class: href === current || (href === "#/" && current === "#") ? "active" : null,
      "aria-current": href === current || (href === "#/" && current === "#") ? "page" : null }, text)));
  who.replaceChildren(
    el("a", { href: "#/account", "data-testid": "whoami" },
      `${state.me.full_name || state.me.user} (${ROLE_NAMES[state.me.role] || state.me.role})`),
    el("button", { type: "button", onclick: () => signOut() }, "Sign out"));
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  return { parts: (path || "/").split("/").filter(Boolean), query: new URLSearchParams(query || "") };
}

const VIEWS = {
  visits: (p) => (p[1] ? visitView(p[1]) : boardView),
  overdue: () => overdueView,
  donors: () => donorsView,
  organizations: () => organizationsView,
  schedule: () => calendarView,
  meetings: (p) => (p[1] ? meetingView(p[1]) : meetingsView),
  awaiting: () => awaitingView,
  directory: (p) => (p[1] ? contactView(p[1]) : directoryView),
  reports: () => reportsView,
  status: () => statusView,
  shares: () => sharesView,
};

async function route() {
  clearInterval(state.timer);
  state.lastData = null;
  const main = document.getElementById("main");
  if (!state.me) {
    document.title = "Sign in · fieldwork console";
    main.replaceChildren(await signInView(parseHash().query));
    document.getElementById("user").focus();
    return;
  }
  if (location.hash.startsWith("#/signin")) { location.hash = "#/"; return; }
  const focused = document.activeElement;
  const hadFocus = focused && focused !== document.body;
  const focusWas = focusKey(focused);
  renderHeader();
  const { parts, query } = parseHash();
  const make = VIEWS[parts[0] || ""];
  if (!make) { main.replaceChildren(el("p", {}, "No such page. ", el("a", { href: "#/" }, "Home"))); return; }
  const view = make(parts);
  state.view = view;
  await refresh(view, query, true);
  const samePage = state.drawn === location.hash;
  state.drawn = location.hash;
  if (hadFocus || state.refocus) settleFocus(focusWas, samePage);
  if (view.poll !== false) state.timer = setInterval(() => refresh(view, query, false), POLL_MS);
}

// Load the view's data; draw it when it changed (and, when polling, not while the user is
// typing into the page itself: forms live in the dialog, which a redraw does not touch).
async function refresh(view, query, first) {
  if (!first && (document.hidden || state.view !== view)) return;
  const main = document.getElementById("main");
  let data;
  try {
    await loadVocabulary().catch(() => null); // codes in words once the services answer
    data = view.load ? await view.load(query) : null;
  } catch (error) {
    if (state.view !== view) return;
    if (first) main.replaceChildren(el("div", { class: "error" }, error.message));
    return;
  }
  if (state.view !== view) return;
  const key = JSON.stringify(data);
  if (!first && key === state.lastData) return liveStamp();
  const active = document.activeElement;
  if (!first && active && main.contains(active) && /INPUT|SELECT|TEXTAREA/.test(active.tagName)) return;
  state.lastData = key;
  const scroll = window.scrollY;
  const focusWas = first ? null : focusKey(active);
  main.replaceChildren(view.render(data, query));
  if (focusWas) settleFocus(focusWas, true);
  document.title = `${view.title || "Console"} · fieldwork console`;
  if (!first) window.scrollTo(0, scroll);
  liveStamp();
}
function liveStamp() {
  document.getElementById("live").textContent = `live: updated ${new Date().toLocaleTimeString()} (every ${POLL_MS / 1000} s)`;
}
const rerender = () => route();

// -- home: home.js (what awaits the person signed in) ------------------------------------------


// -- visits ---------------------------------------------------------------------------------

function waitingBadges(waiting) {
  return (waiting || []).map((w) => badge(
    `${human(w.what)}${w.organization ? `: ${w.organization}` : ""}${w.answer ? `: ${human(w.answer)}` : ""}${w.recommendation_id ? `: ${w.recommendation_id}` : ""}${w.due_on ? ` (due ${written(w.due_on)})` : ""}${w.overdue ? " — overdue" : ""}`,
    w.overdue ? "overdue" : ""));
}

// Finding in a list (the services' q, from, to and sort: shared/listing.py): a search box, a
// date range and an order, kept in the address with the other filters.
const FIND_KEYS = ["q", "from", "to", "sort"];
const VISIT_ORDERS = [["", "proposed, oldest first"], ["-proposed", "proposed, newest first"],
  ["starts", "dates, earliest first"], ["-starts", "dates, latest first"], ["state", "State, A to Z"],
  ["-state", "State, Z to A"], ["status", "status"]];
const MEETING_ORDERS = [["", "dates, earliest first"], ["-starts", "dates, latest first"], ["title", "title, A to Z"],
  ["group", "group, A to Z"], ["status", "status"]];

function findFields(query, orders, searched) {
  return [
    el("div", {}, el("label", { for: "filter-q" }, "Search"),
      el("input", { id: "filter-q", name: "q", type: "search", value: query.get("q") || "", size: 18,
        "aria-describedby": "filter-q-help" }),
      el("span", { id: "filter-q-help", class: "visually-hidden" }, `Words to find: ${searched}.`)),
    el("div", {}, el("label", { for: "filter-from" }, "From"),
      el("input", { id: "filter-from", name: "from", type: "date", value: query.get("from") || "" })),
    el("div", {}, el("label", { for: "filter-to" }, "To"),
      el("input", { id: "filter-to", name: "to", type: "date", value: query.get("to") || "" })),
    el("div", {}, el("label", { for: "filter-sort" }, "Order"),
      el("select", { id: "filter-sort", name: "sort" }, orders.map(([v, text]) =>
        el("option", { value: v, selected: (query.get("sort") || "") === v }, text)))),
  ];
}

const boardView = {
  title: "Visits",
  async load(query) {
    const params = new URLSearchParams();
    for (const key of ["state", "committee", "status", ...FIND_KEYS]) if (query.get(key)) params.set(key, query.get(key));
    return api("visits", `/visits?${params}`);
  },
  render(visits, query) {
    const filters = el("form", { class: "inline card", id: "filters" },
      el("div", {}, el("label", { for: "filter-state" }, "State"),
        el("select", { id: "filter-state", name: "state" }, [["", "any"], ...Object.entries(state.vocab ? state.vocab.states : {})]
          .map(([code, name]) => el("option", { value: code, selected: (query.get("state") || "") === code }, name)))),
      el("div", {}, el("label", { for: "filter-committee" }, "Committee"),
        el("select", { id: "filter-committee", name: "committee" }, ["", "ctc", "1540"].map((v) =>
          el("option", { value: v, selected: query.get("committee") === v }, v ? committeeWords(v) : "any")))),
      el("div", {}, el("label", { for: "filter-status" }, "Status"),
        el("select", { id: "filter-status", name: "status" }, ["", ...VISIT_STATUSES].map((v) =>
          el("option", { value: v, selected: query.get("status") === v }, v ? human(v) : "any")))),
      findFields(query, VISIT_ORDERS, "a State's name or code, a status"),
      el("button", { type: "submit" }, "Filter"),
      el("a", { href: "#/visits", class: "button secondary" }, "Clear"));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(filters)) if (v) params.set(k, v);
      location.hash = `#/visits?${params}`;
    });
    const columns = STAGES.map(([title, statuses]) => {
      const cards = visits.filter((v) => statuses.includes(v.status));
      return el("section", { class: "column", "data-stage": title },
        el("h2", {}, `${title} (${cards.length})`),
        cards.map((v) => el("div", { class: "card", "data-visit": v.id },
          el("a", { href: `#/visits/${v.id}` }, v.country),
          el("div", {}, badge(committeeWords(v.committee)), badge(human(v.status))),
          v.starts_on ? el("div", { class: "muted" }, `${written(v.starts_on)} – ${written(v.ends_on)}`) : null,
          waitingBadges(v.waiting_for))));
    });
    return el("div", {},
      el("h1", {}, "Country visits"),
      can("driveVisits") ? el("div", { class: "actions" }, el("button", { type: "button", id: "propose", onclick: () =>
        openForm({ service: "visits", path: "/visits", title: "Propose a visit", skip: ["visit_id"],
          done: (visit) => { flash(`Visit to ${visit.country} proposed`); location.hash = `#/visits/${visit.id}`; } }) }, "Propose a visit")) : null,
      filters,
      el("p", { class: "muted", "data-testid": "count" }, `${visits.length} visit(s)`),
      el("div", { class: "board" }, columns));
  },
};

// The organizations of the directory a visit may still invite: each by its name, with its
// abbreviations, to choose from (the service records the directory's name).
async function organizationChoices(visit) {
  const invited = new Set(visit.organizations.map((o) => o.organization));
  const directory = await api("visits", "/organizations");
  return directory.filter((o) => !invited.has(o.name)).map((o) =>
    [o.name, o.abbreviations.length ? `${o.name} (${o.abbreviations.join(", ")})` : o.name]);
}

// A donor as a person tells it from another of the same name (two "Norway"s): its kind, its
// contact, its interests and when it was registered.
function donorLabel(d) {
  const areas = (d.thematic_areas || []).map(human).join(", ");
  return `${d.name} — ${human(d.donor_kind)}${d.contact ? `, contact ${d.contact}` : ""}${areas ? `, interested in ${areas}` : ""}`
    + `, registered ${when(d.registered_at).replace(/,.*$/, "")}`;
}
async function donorChoices() {
  const donors = await api("visits", "/donors");
  return donors.map((d) => [d.id, donorLabel(d)]);
}
// Each registered donor's name, with what tells it apart where another has the same name.
async function donorNames() {
  const registry = await api("visits", "/donors").catch(() => []);
  const count = {};
  for (const d of registry) count[d.name] = (count[d.name] || 0) + 1;
  return Object.fromEntries(registry.map((d) => [d.id,
    count[d.name] > 1 ? `${d.name} (${human(d.donor_kind)}${d.contact ? `, ${d.contact}` : ""})` : d.name]));
}

// An event's fields as label/value pairs a person reads: States, donors and groups by name, codes
// in words, dates in the Committee's time zone, needs and recommendations as lines; an id that
// names nothing a person knows (a UUID no name is known for) is left out.
function facts(payload, names = {}, committee) {
  const value = (key, v) => {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return null;
    if (key === "member_state" || key === "chair_member_state") return stateName(v);
    if (key === "committee") return committeeWords(v);
    if (key === "member_states" || key === "delegations") return statesOf(v);
    if (typeof v === "string" && UUID_RE.test(v)) return (names[key] && names[key][v]) || null;
    if (Array.isArray(v) && v.every((x) => x && typeof x === "object")) {
      return el("ul", {}, v.map((item) => el("li", {}, [item.need_id || item.recommendation_id, item.thematic_area && human(item.thematic_area),
        item.priority && `${human(item.priority)} priority`].filter(Boolean).join(", ") + (item.description || item.text ? `: ${item.description || item.text}` : ""))));
    }
    if (Array.isArray(v)) return v.map((x) => value(key, x)).filter((x) => x !== null).join(", ");
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${fieldLabel(k)}: ${value(k, x) ?? "-"}`).join("; ");
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v)) return when(v, committee);
    if (typeof v === "string" && ((state.vocab && v in state.vocab.words) || /^[a-z]+(_[a-z]+)+$/.test(v))) return human(v);
    return String(v);
  };
  const seen = new Set(); // a donor's id and its name both read "donor: Norway": once
  const rows = Object.entries(payload || {}).map(([k, v]) => [fieldLabel(k), value(k, v)])
    .filter(([k, v]) => v !== null && v !== "" && !(typeof v === "string" && seen.has(`${k}\n${v}`)) && seen.add(`${k}\n${v}`));
  return rows.length ? el("dl", { class: "facts payload" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])) : null;
}
// A record's history as sentences: what happened, when (in the Committee's time zone), by whom,
// with its facts. names: { donor_id: { uuid: name }, group_id: {...} }.
function timeline(events, names = {}, committee) {
  const said = (e) => { const text = human(e.event_type); return text.charAt(0).toUpperCase() + text.slice(1); };
  return el("ol", { class: "timeline", "data-testid": "timeline" }, events.map((e) => el("li", { "data-event": e.event_type },
    el("div", { class: "what" }, said(e), e.actor ? ` by ${e.actor.user} (${ROLE_NAMES[e.actor.role] || human(e.actor.role)})` : "", "."),
    el("div", { class: "when" }, `${when(e.occurred_at, committee)} · version ${e.aggregate_version}`),
    facts(e.payload, names, committee))));
}

function visitView(id) {
  return {
    title: "Visit",
    async load() {
      const [visit, history, told, files] = await Promise.all([api("visits", `/visits/${id}`), api("visits", `/visits/${id}/history`),
        toldOf({ subject_id: id }), filesOf("visits", `/visits/${id}`)]);
      // the donors interested in each need (matching), once there is a needs assessment
      const matches = visit.needs_assessment.version ? await api("visits", `/visits/${id}/donor-matches`) : null;
      const donors = matches || history.some((e) => e.payload && e.payload.donor_id) ? await donorNames() : {};
      return { visit, history, matches, told, donors, files };
    },
    render({ visit: v, history, matches, told, donors, files }) {
      const at = (value) => when(value, v.committee);
      // The visit's own rules say which steps they allow now (next_steps, tried on a copy of
      // the visit by the visits service); the others show the rule that refuses them.
      const steps = can("driveVisits") ? nextSteps(v.next_steps, (command) => visitStep(v, command),
        `The visit is ${human(v.status)}: nothing more can happen to it.`) : el("div", {});
      const orgs = table(["organization", "kind", "invited", "information asked", "due", "received"],
        v.organizations.map((o) => [o.organization, human(o.kind), at(o.invited_at), at(o.pre_visit_info.requested_at),
          when(o.pre_visit_info.due_on),
          o.pre_visit_info.received_at ? [at(o.pre_visit_info.received_at), o.pre_visit_info.late ? badge("late", "late") : "",
            o.pre_visit_info.after_due_date ? badge("after due date", "late") : ""] : "-"]), "No organization invited.");
      const needs = table(["need", "area", "priority", "description"],
        v.needs_assessment.needs.map((n) => [n.need_id, human(n.thematic_area), human(n.priority), n.description]), "No needs assessment yet.");
      const shares = table(["donor", "needs", "assessment version", "consent given", "shared", "revoked"],
        v.shares.map((s) => [donors[s.donor_id] || s.donor_name, s.need_ids.join(", "), s.assessment_version, at(s.consent_granted_at),
          at(s.shared_at), s.revoked ? [badge("revoked", "late"), ` ${at(s.revoked.at)}`] : "-"]), "Not shared with any donor.");
      const matching = !matches ? el("p", { class: "muted" }, "No needs assessment yet.") : el("div", { "data-testid": "donor-matches" },
        el("p", { class: "muted" }, `Registered donors interested in the needs of version ${matches.assessment_version}; sharing consent `
          + (matches.sharing_consent_in_force ? "in force." : `not in force (${human(matches.sharing_consent)}).`)),
        table(["donor", "needs", "why", "shared"], matches.donors.map((d) => [donors[d.donor_id] || d.name, d.need_ids.join(", "),
          el("ul", {}, d.why.map((w) => el("li", {}, w))), d.already_shared ? "already shared" : "-"]), "No registered donor is interested in these needs."),
        matches.unmatched_need_ids.length ? el("p", {}, "Needs no registered donor is interested in: ",
          el("strong", { "data-testid": "unmatched-needs" }, matches.unmatched_need_ids.join(", "))) : null);
      return el("div", { "data-visit": v.id, "data-status": v.status, "data-version": v.version },
        el("p", {}, el("a", { href: "#/visits" }, "← all visits")),
        el("h1", {}, `Visit to ${v.country} — ${committeeWords(v.committee)}`),
        el("div", {}, "Status: ", el("strong", { "data-testid": "visit-status" }, human(v.status)), " ",
          badge(`consent: ${human(v.consent)}`), badge(`version ${v.version}`), waitingBadges(v.waiting_for)),
        steps,
        el("div", { class: "grid2" },
          el("div", {},
            el("h2", {}, "The visit"),
            el("dl", { class: "facts card" }, [
              ["purpose", v.purpose || "-"], ["origin", human(v.origin)], ["proposed", at(v.proposed_at)],
              ["approved", at(v.approved_at)], ["consent asked", at(v.consent_requested_at)], ["consent due", when(v.consent_due_on)],
              ["consent decided", at(v.consent_decided_at)], ["dates", v.starts_on ? `${written(v.starts_on)} – ${written(v.ends_on)}` : "-"],
              ["started", at(v.started_at)], ["completed", at(v.completed_at)],
              ["organizations taking part", v.organizations_taking_part.join(", ") || "-"], ["visiting team", v.team.join(", ") || "-"],
              ["sharing consent", human(v.sharing_consent)],
              ["closed", at(v.closed_at)], ["ended reason", v.ended_reason || "-"], ["postponements", v.postponements],
            ].map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)])),
            el("h2", {}, "Organizations and pre-visit information"), orgs,
            el("h2", {}, "Needs assessment"), el("div", { "data-testid": "needs" }, needs),
            el("h2", {}, "Donors interested in the needs"), matching,
            el("h2", {}, "Shared with donors"), shares,
            el("h2", {}, "Follow-up"), table(["summary", "results", "at"], v.follow_ups.map((f) => [f.summary, f.results || "-", at(f.at)]), "No follow-up yet."),
            el("h2", {}, "The visit's report"), reportFacts(v),
            el("h2", {}, "What the State owes on the report"), table(["answer", "due on", "received", "days late", "reminded"],
              Object.entries(v.report.state_answers).map(([name, a]) => [name === "observations" ? "factual observations" : "response on implementation",
                a.overdue ? badge(`${written(a.due_on)}: overdue`) : when(a.due_on), at(a.received_at), a.days_late ?? "-", a.reminded_at.map(at).join(", ") || "-"]),
              "Nothing yet: the report has not been transmitted."),
            el("h2", {}, "Recommendations"), table(["recommendation", "area", "priority", "text", "due", "status", "since"],
              v.report.recommendations.map((r) => [r.recommendation_id, human(r.thematic_area), human(r.priority), r.text, when(r.due_on), human(r.status),
                r.history.length ? `${at(r.history[r.history.length - 1].at)}${r.history[r.history.length - 1].evidence ? `: ${r.history[r.history.length - 1].evidence}` : ""}` : "-"]),
              "No recommendations drafted.")),
          el("div", {}, filesSection("visits", files, v.committee, (f) => human(f.document_kind)),
            whoWasTold(told, v.committee), el("h2", {}, `Timeline (${history.length} events)`),
            timeline(history, { donor_id: donors }, v.committee))),
        reference(v.id, "visit"));
    },
  };
}

// A visit report's stage: drafted (which draft), adopted, transmitted; the follow-up's end.
function reportFacts(v) {
  const r = v.report;
  return el("dl", { class: "facts card", "data-testid": "visit-report" }, [
    ["draft", r.draft ? `${r.draft} (${when(r.drafted_at, v.committee)})` : "not drafted"], ["summary", r.summary || "-"],
    ["adopted by the Committee", when(r.adopted_at, v.committee)], ["transmitted to the State", when(r.transmitted_at, v.committee)],
    ["follow-up ended", when(v.follow_up_ended_at, v.committee)],
  ].map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
}

// The "Next steps" of a record: a button for each step its service allows the caller now, and
// under "Other steps" each other one with the rule refusing it (a refused step can still be
// tried: the service judges it and answers with its rule). Steps refused only for the
// caller's role are not shown.
function nextSteps(next, open, nothingLeft) {
  const offered = next.allowed;
  const refused = Object.entries(next.refused).filter(([, rule]) => rule !== "role_may_not_do_this");
  const button = (command, rule) => el("button", {
    type: "button", class: rule ? "secondary" : null, "data-command": command, title: rule ? `refused now: rule ${rule}` : null,
    onclick: () => open(command),
  }, human(command));
  const box = el("div", {});
  if (!offered.length && !refused.length) return box;
  box.append(el("h2", {}, "Next steps"),
    offered.length ? el("div", { class: "actions", "data-testid": "next-steps" }, offered.map((c) => button(c)))
      : el("p", { class: "muted" }, nothingLeft));
  if (refused.length) box.append(el("details", { class: "card", "data-testid": "refused-steps" },
    el("summary", {}, "Other steps (the rules refuse them now)"),
    el("ul", { class: "refused" }, refused.map(([c, rule]) => el("li", {}, button(c, rule), " ", el("code", {}, rule))))));
  return box;
}

async function visitStep(visit, command) {
  if (command === "attach-file") { uploadToVisit(visit); return; } // a file picker, not a form of base64 (files.js)
  const choices = {};
  if (command === "share-needs-assessment") choices.donor_id = await donorChoices();
  if (command === "invite-organization") choices.organization = await organizationChoices(visit);
  const orgs = visit.organizations.map((o) => [o.organization, o.organization]);
  if (["request-pre-visit-info", "receive-pre-visit-info", "reset-due-date"].includes(command) && orgs.length) choices.organization = orgs;
  if (command === "complete") choices.organizations_taking_part = orgs;
  // the needs shared are ticked among those of the assessment; a new version starts from the last
  // (each need keeping its number)
  const needs = visit.needs_assessment.needs;
  if (command === "share-needs-assessment") {
    choices.need_ids = needs.map((n) => [n.need_id, `${n.need_id}: ${n.description} (${human(n.thematic_area)}, ${human(n.priority)} priority)`]);
  }
  const recommendations = visit.report.recommendations;
  if (command === "update-recommendation" && recommendations.length) {
    choices.recommendation_id = recommendations.map((r) => [r.recommendation_id, `${r.recommendation_id}: ${r.text.slice(0, 80)}`]);
  }
  const values = {};
  if (command === "record-needs-assessment" && needs.length) values.needs = needs;
  if (command === "draft-report" && recommendations.length) values.recommendations = recommendations;
  await openForm({
    service: "visits", path: `/visits/{visit_id}/${command}`, post: `/visits/${visit.id}/${command}`,
    title: `${human(command)}: visit to ${visit.country}`, hidden: { expected_version: visit.version }, choices, values,
    committee: visit.committee,
    done: (answer) => { flash(`${human(command)}: done; the visit is ${human(answer.status)}`); rerender(); },
  });
}

const overdueView = {
  title: "Overdue",
  load: async () => {
    const [visits, meetings] = await Promise.all([api("visits", "/visits?overdue=true"), api("meetings", "/meetings?overdue=true")]);
    return { visits, meetings };
  },
  render({ visits, meetings }) {
    const rows = [];
    for (const v of visits) for (const w of v.waiting_for.filter((x) => x.overdue)) {
      rows.push([el("a", { href: `#/visits/${v.id}` }, v.country), committeeWords(v.committee),
        human(w.what), w.organization || (w.answer ? human(w.answer) : w.recommendation_id || "-"), when(w.due_on), human(v.status)]);
    }
    const actions = [];
    for (const m of meetings) for (const a of m.action_items_overdue) {
      actions.push([el("a", { href: `#/meetings/${m.id}` }, m.title), m.group || "-", a.outcome_id, a.owner || "-", when(a.due_on)]);
    }
    return el("div", {}, el("h1", {}, "Overdue"),
      el("h2", {}, "Action items of the meetings"),
      el("div", { "data-testid": "overdue-action-items" }, table(["meeting", "group", "action item", "owner", "due on"], actions, "No action item is overdue.")),
      el("h2", {}, "Visits"),
      el("p", { class: "muted" }, "What visits wait for past its due date: the State's consent, organizations' pre-visit information, the State's observations and response on a visit report."),
      el("div", { "data-testid": "overdue" }, table(["visit", "committee", "waiting for", "organization or answer", "due on", "status"], rows, "Nothing is overdue.")));
  },
};

const donorsView = {
  title: "Donors",
  load: () => api("visits", "/donors"),
  render(donors) {
    return el("div", {}, el("h1", {}, "Donor registry"),
      can("driveVisits") ? el("div", { class: "actions" }, el("button", { type: "button", id: "register-donor", onclick: () =>
        openForm({ service: "visits", path: "/donors", title: "Register a donor", skip: ["donor_id"], done: (d) => { flash(`${d.name} registered`); rerender(); } }) },
      "Register a donor")) : null,
      table(["name", "kind", "thematic areas", "contact", "registered"],
        donors.map((d) => [d.name, human(d.donor_kind), (d.thematic_areas || []).map((a) => badge(human(a))), d.contact || "-", when(d.registered_at)]),
        "No donor registered."));
  },
};

const organizationsView = {
  title: "Organizations",
  load: () => api("visits", "/organizations"),
  render(organizations) {
    return el("div", {}, el("h1", {}, "Directory of organizations"),
      el("p", { class: "muted" }, "The organizations a visit invites: those of the annex to the 2003 follow-up action plan, ",
        "and those the secretariat added. Any of an organization's names finds it; invitations record its name here."),
      can("driveVisits") ? el("div", { class: "actions" }, el("button", { type: "button", id: "register-organization", onclick: () =>
        openForm({ service: "visits", path: "/organizations", title: "Add an organization", skip: ["organization_id"],
          done: (o) => { flash(`${o.name} added to the directory`); rerender(); } }) },
      "Add an organization")) : null,
      el("div", { "data-testid": "organizations" }, table(["name", "also known as", "kind", "part of", "listed in"],
        organizations.map((o) => [o.name, [...o.abbreviations, ...o.also_known_as].join(", ") || "-", human(o.kind),
          o.part_of || "-", o.listed_in]),
        "No organization.")));
  },
};

const sharesView = {
  title: "Shared with you",
  async load() {
    const shares = await api("visits", "/donor/shares");
    // the needs assessment's files the donor may read (a share in force), per visit
    const visits = [...new Set(shares.filter((s) => !s.revoked).map((s) => s.visit_id))];
    const files = Object.fromEntries(await Promise.all(visits.map(async (v) => [v, await filesOf("visits", `/visits/${v}`)])));
    return shares.map((s) => ({ ...s, files: s.revoked ? null : files[s.visit_id] }));
  },
  render(shares) {
    return el("div", {}, el("h1", {}, "Needs assessments shared with you"),
      el("p", { class: "muted" }, "Only what States consented to share with you, as it was when shared."),
      shares.length ? shares.map((s) => el("div", { class: "card", "data-share": s.share_id || null },
        el("h2", {}, `${s.country} — ${committeeWords(s.committee)}`),
        el("p", { class: "muted" }, `shared ${when(s.shared_at, s.committee)}, assessment version ${s.assessment_version}`,
          s.consent ? `, under the consent granted ${when(s.consent.granted_at, s.committee)}` : ""),
        s.revoked ? el("div", { class: "error" }, `Revoked ${when(s.revoked.at || s.revoked.revoked_at, s.committee)}: the State withdrew its consent`,
          s.revoked.reason ? ` (${s.revoked.reason})` : "", ".") : null,
        table(["need", "area", "priority", "description"], s.needs.map((n) => [n.need_id, human(n.thematic_area), human(n.priority), n.description]),
          "No needs (the share was revoked)."),
        s.files ? filesSection("visits", s.files, s.committee, (f) => human(f.document_kind)) : null,
        s.iati ? el("div", { class: "actions" }, el("strong", { style: "padding:.35rem 0" }, "As an IATI activity: "),
          [["xml", "XML"], ["json", "JSON"]].filter(([k]) => s.iati[k]).map(([k, label]) => el("button", {
            type: "button", class: "secondary", "data-iati": k,
            onclick: () => download("visits", s.iati[k], `share-${s.share_id}-iati.${k}`, null),
          }, label))) : null))
        : el("p", { class: "muted" }, "Nothing has been shared with you yet."));
  },
};

// -- meetings -------------------------------------------------------------------------------

function monthOf(query) {
  const m = /^(\d{4})-(\d{2})$/.exec(query.get("month") || "");
  const now = new Date();
  return m ? [Number(m[1]), Number(m[2]) - 1] : [now.getUTCFullYear(), now.getUTCMonth()];
}
const pad = (n) => String(n).padStart(2, "0");

const calendarView = {
  title: "Schedule",
  load(query) {
    return query.get("all") === "1" ? api("meetings", "/meetings") : api("meetings", "/schedule");
  },
  render(meetings, query) {
    const [year, month] = monthOf(query);
    const all = query.get("all") === "1";
    const link = (y, m, a) => { const d = new Date(Date.UTC(y, m, 1)); return `#/schedule?month=${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}${a ? "&all=1" : ""}`; };
    const first = new Date(Date.UTC(year, month, 1));
    const start = new Date(first);
    start.setUTCDate(1 - ((first.getUTCDay() + 6) % 7)); // weeks start on Monday
    // each meeting on its day, at its time, in its Committee's time zone (New York)
    const today = dayIn(new Date().toISOString());
    const byDay = {};
    for (const m of meetings) (byDay[dayIn(m.starts_at, m.committee)] ||= []).push(m);
    const cells = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => el("div", { class: "dow" }, d));
    for (let i = 0; i < 42; i++) {
      const day = new Date(start);
      day.setUTCDate(start.getUTCDate() + i);
      const iso = day.toISOString().slice(0, 10);
      if (i >= 35 && day.getUTCMonth() !== month) break;
      cells.push(el("div", { class: `day ${day.getUTCMonth() !== month ? "other" : ""} ${iso === today ? "today" : ""}`, "data-date": iso },
        el("div", { class: "num" }, day.getUTCDate()),
        (byDay[iso] || []).map((m) => el("a", { class: `event ${m.status}`, href: `#/meetings/${m.id}`, title: `${m.title} — ${m.group} (${human(m.status)})` },
          `${timeIn(m.starts_at, m.committee)} ${m.title}`))));
    }
    const inMonth = meetings.filter((m) => dayIn(m.starts_at, m.committee).startsWith(`${year}-${pad(month + 1)}`));
    const label = first.toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
    return el("div", {},
      el("h1", {}, all ? "All meetings" : "The published schedule"),
      el("div", { class: "actions" },
        el("a", { class: "button secondary", href: link(year, month - 1, all) }, "← previous"),
        el("strong", { style: "padding:.35rem .6rem", "data-testid": "month" }, label),
        el("a", { class: "button secondary", href: link(year, month + 1, all) }, "next →"),
        el("a", { class: "button secondary", href: link(new Date().getUTCFullYear(), new Date().getUTCMonth(), all) }, "this month"),
        el("a", { class: "button secondary", href: link(year, month, !all) }, all ? "only the published schedule" : "every meeting (held, cancelled too)"),
        el("a", { class: "button secondary", href: "/api/meetings/schedule.ics" }, "calendar feed (.ics)")),
      el("div", { class: "calendar", "data-testid": "calendar" }, cells),
      el("h2", {}, `In ${label}`),
      table(["when", "meeting", "group", "where", "status"], inMonth.map((m) => [when(m.starts_at, m.committee),
        el("a", { href: `#/meetings/${m.id}` }, m.title), m.group, m.location || "-", human(m.status)]), "No meeting this month."),
      el("p", { class: "muted" }, `Days and times are the Committees' (${placeOf(committeeZone())}), where they sit. ${all ? "" : "The published schedule lists the meetings still to come."}`));
  },
};

async function groupChoices() {
  const groups = await api("meetings", "/groups");
  return groups.map((g) => [g.id, g.name]);
}

const meetingsView = {
  title: "Meetings",
  load(query) {
    const params = new URLSearchParams();
    for (const key of ["awaiting", "committee", ...FIND_KEYS]) if (query.get(key)) params.set(key, query.get(key));
    return api("meetings", `/meetings?${params}`);
  },
  render(meetings, query) {
    const filters = el("form", { class: "inline card", id: "meeting-filters" },
      el("div", {}, el("label", { for: "filter-awaiting" }, "Awaiting"),
        el("select", { id: "filter-awaiting", name: "awaiting" },
          ["", "announcement", "documents", "report_to_committee", "outcome_approval"].map((v) =>
            el("option", { value: v, selected: (query.get("awaiting") || "") === v }, v ? human(v) : "anything or nothing")))),
      el("div", {}, el("label", { for: "filter-meeting-committee" }, "Committee"),
        el("select", { id: "filter-meeting-committee", name: "committee" }, ["", "ctc", "1540"].map((v) =>
          el("option", { value: v, selected: (query.get("committee") || "") === v }, v ? committeeWords(v) : "any")))),
      findFields(query, MEETING_ORDERS, "a title, a group, a place"),
      el("button", { type: "submit" }, "Filter"),
      el("a", { href: "#/meetings", class: "button secondary" }, "Clear"));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(filters)) if (v) params.set(k, v);
      location.hash = `#/meetings?${params}`;
    });
    return el("div", {}, el("h1", {}, "Meetings"),
      can("runMeetings") ? el("div", { class: "actions" }, el("button", { type: "button", id: "schedule-meeting", onclick: async () =>
        openForm({ service: "meetings", path: "/meetings", title: "Schedule a meeting", skip: ["meeting_id"], choices: { group_id: await groupChoices() },
          committee: state.me.committee,
          done: (m) => { flash(`${m.title} scheduled`); location.hash = `#/meetings/${m.id}`; } }) }, "Schedule a meeting")) : null,
      filters,
      el("p", { class: "muted", "data-testid": "meeting-count" }, `${meetings.length} meeting(s)`),
      table(["when", "meeting", "group", "status", "awaiting"], meetings.map((m) => [when(m.starts_at, m.committee),
        el("a", { href: `#/meetings/${m.id}` }, m.title), m.group, human(m.status),
        [m.awaiting.map((a) => badge(human(a))), m.missing_documents ? badge("no documents", "late") : ""]]), "No meetings."));
  },
};

function meetingView(id) {
  return {
    title: "Meeting",
    async load() {
      const [meeting, history, told, files] = await Promise.all([api("meetings", `/meetings/${id}`), api("meetings", `/meetings/${id}/history`),
        toldOf({ subject_id: id }), filesOf("meetings", `/meetings/${id}`)]);
      return { meeting, history, told, files };
    },
    render({ meeting: m, history, told, files }) {
      const at = (value) => when(value, m.committee);
      // The meetings service says which steps the caller may take now (next_steps: the
      // command table's roles, then the meeting's own rules, tried on a copy of it); the
      // others show the rule that refuses them.
      const steps = nextSteps(m.next_steps, (command) => meetingStep(m, command),
        `The meeting is ${human(m.status)}: nothing for you to do on it now.`);
      return el("div", { "data-meeting": m.id, "data-status": m.status, "data-version": m.version },
        el("p", {}, el("a", { href: "#/schedule" }, "← schedule"), " · ", el("a", { href: "#/meetings" }, "all meetings")),
        el("h1", {}, m.title),
        el("div", {}, "Status: ", el("strong", { "data-testid": "meeting-status" }, human(m.status)), " ",
          badge(`version ${m.version}`), m.awaiting.map((a) => badge(`awaiting ${human(a)}`)),
          m.missing_documents ? badge("no documents circulated", "late") : ""),
        steps,
        el("div", { class: "grid2" },
          el("div", {},
            el("dl", { class: "facts card" }, [["group", m.group], ["kind", human(m.meeting_kind)],
              ["when", `${at(m.starts_at)} – ${at(m.ends_at)}`], ["where", m.location || "-"], ["scheduled", at(m.scheduled_at)],
              ["announced", at(m.announced_at)], ["held", at(m.held_at)], ["reported to the Committee", at(m.reported_at)],
              ["cancelled", at(m.cancelled_at)], ["moves", m.moves],
              ["delegations attending", statesOf(m.attendance.delegations) || "-"],
              ["organizations attending", m.attendance.organizations.join(", ") || "-"],
              ["experts attending", m.attendance.experts.join(", ") || "-"]].map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
            el("h2", {}, "Documents"),
            table(["document", "title", "symbol", "circulated", "before the meeting"], m.documents.map((d) => [d.document_id, d.title,
              d.symbol || "-", at(d.circulated_at), [`${d.hours_before_meeting} h`, d.late ? badge("late", "late") : ""]]), "No document circulated."),
            filesSection("meetings", files, m.committee, (f) => f.document_id),
            el("h2", {}, "Outcomes"),
            el("div", { "data-testid": "outcomes" }, table(["outcome", "kind", "text", "logged", "the Committee", "communicated", "action"], m.outcomes.map((o) => [
              o.outcome_id, human(o.outcome_kind), [o.text, o.amends ? el("div", { class: "muted" }, `amends ${o.amends}`) : "",
                o.superseded_by ? el("div", {}, badge(`superseded by ${o.superseded_by}`, "late")) : ""],
              `${at(o.logged_at)} by ${o.logged_by}`,
              o.decision ? [human(o.decision), " ", at(o.decisions[o.decisions.length - 1].at),
                o.decisions[o.decisions.length - 1].note ? el("div", { class: "muted" }, o.decisions[o.decisions.length - 1].note) : ""]
                : (o.reported_at ? "before the Committee" : "not reported yet"),
              o.communicated_at ? `${at(o.communicated_at)} to ${statesOf(o.communicated_to) || "contact points"}` : "-",
              o.outcome_kind === "action_item" ? `${o.owner || "-"}, due ${when(o.due_on)}: ${human(o.status)}` : "-"]), "No outcome logged.")),
            m.open_meetings.length ? [el("h2", {}, "Open meetings"), table(["outcomes", "summary", "held"],
              m.open_meetings.map((o) => [o.outcome_ids.join(", "), o.summary, at(o.held_at)]))] : null),
          el("div", {}, whoWasTold(told, m.committee), el("h2", {}, `Timeline (${history.length} events)`),
            timeline(history, {}, m.committee))),
        reference(m.id, "meeting"));
    },
  };
}

// A meeting's step: outcomes are picked from those logged (by their number and text), never
// typed; an outcome or a document logged here is numbered by the meeting.
async function meetingStep(meeting, command) {
  if (command === "attach-file") { uploadToMeeting(meeting); return; } // a file picker (files.js)
  const choices = {};
  const picked = (list) => list.map((o) => [o.outcome_id, `${o.outcome_id}: ${o.text.slice(0, 70)}`]);
  const inForce = meeting.outcomes.filter((o) => !o.superseded_by);
  if (["approve-outcome", "decide-outcome", "communicate-outcome", "correct-outcome"].includes(command) && inForce.length) choices.outcome_id = picked(inForce);
  if (command === "log-outcome") choices.amends = picked(inForce);
  const actionItems = inForce.filter((o) => o.outcome_kind === "action_item");
  if (command === "update-action-item" && actionItems.length) choices.outcome_id = picked(actionItems);
  if (command === "hold-open-meeting") choices.outcome_ids = picked(inForce.filter((o) => o.approved_at || o.decision === "approved"));
  await openForm({
    service: "meetings", path: `/meetings/{meeting_id}/${command}`, post: `/meetings/${meeting.id}/${command}`,
    title: `${human(command)}: ${meeting.title}`, hidden: { expected_version: meeting.version }, choices,
    skip: ["outcome_id", "document_id"].filter(() => ["log-outcome", "circulate-document"].includes(command)),
    committee: meeting.committee,
    done: (answer) => { flash(`${human(command)}: done; the meeting is ${human(answer.status)}`); rerender(); },
  });
}

const awaitingView = {
  title: "Awaiting",
  async load() {
    const [report, outcomes] = await Promise.all([api("meetings", "/meetings?awaiting=report_to_committee"), api("meetings", "/outcomes/awaiting-approval")]);
    return { report, outcomes };
  },
  render({ report, outcomes }) {
    return el("div", {}, el("h1", {}, "What awaits the Committee"),
      el("h2", {}, "Meetings held, not yet reported to the Committee"),
      el("div", { "data-testid": "awaiting-report" }, table(["meeting", "group", "held"], report.map((m) => [
        el("a", { href: `#/meetings/${m.id}` }, m.title), m.group, when(m.ends_at, m.committee)]), "Every meeting held was reported.")),
      el("h2", {}, "Outcomes awaiting the Committee's approval"),
      el("div", { "data-testid": "awaiting-approval" }, table(["meeting", "outcome", "kind", "text", "logged"], outcomes.map((o) => [
        el("a", { href: `#/meetings/${o.meeting_id}` }, o.meeting), o.outcome_id, human(o.outcome_kind), o.text, when(o.logged_at)]),
      "No outcome awaits approval.")));
  },
};

// -- the directory of contacts, and who was told (the notifications service) ----------------------

// The notifications of a visit, a meeting or a contact. A notifications service that does not
// answer (or refuses) is said in their section; the rest of the page is drawn as usual.
async function toldOf(filters) {
  try {
    return { notifications: await api("notifications", `/notifications?${new URLSearchParams(filters)}`) };
  } catch (error) {
    return { error: error.status === 502 && error.data && error.data.message ? error.data.message : error.message };
  }
}

function deliveryStatus(n, committee) {
  if (n.status === "sent") return el("span", { title: n.answer || null }, badge("sent", "ok"), " ", when(n.settled_at, committee));
  if (n.status === "deferred") return [badge("deferred"), ` next attempt at ${when(n.next_attempt_at, committee)}`,
    n.answer ? el("div", { class: "muted" }, n.answer) : null];
  if (n.status === "failed") return [badge("failed", "late"), " ", when(n.settled_at, committee), n.answer ? el("div", {}, n.answer) : null];
  return [badge(human(n.status)), el("span", { class: "muted" }, " waiting to be sent")];
}

// The notifications as a table: what was told, to whom (or, for one contact, about what),
// where it stands; about: the contact's page (the visit or meeting each is about).
function toldTable(told, about, empty, committee) {
  if (told.error) return el("div", { class: "warning", "data-testid": "told-unavailable" },
    el("strong", {}, "Who was told cannot be shown now: "), told.error,
    el("div", { class: "muted" }, "The rest of this page does not depend on it."));
  if (!told.notifications.length) return el("p", { class: "muted", "data-testid": "told-none" }, empty);
  const whom = (n) => [el("div", {}, n.recipient),
    el("div", { class: "muted" }, roleWords(n.role), n.member_state ? ` (${stateName(n.member_state)})` : "", n.organization ? ` of ${n.organization}` : ""),
    el("div", { class: "mono" }, n.email)];
  const subject = (n) => el("a", { href: `#/${n.subject_kind === "visit" ? "visits" : "meetings"}/${n.subject_id}` }, n.subject || `the ${n.subject_kind}`);
  return el("table", {},
    el("thead", {}, el("tr", {}, ["recorded", "what", about ? "about" : "to whom", "status", "attempts"].map((h) => el("th", {}, h)))),
    el("tbody", {}, told.notifications.map((n) => el("tr", { "data-notification": n.id, "data-notice": n.notice, "data-status": n.status },
      el("td", {}, when(n.recorded_at, committee)), el("td", {}, noticeWords(n.notice)), el("td", {}, about ? subject(n) : whom(n)),
      el("td", {}, deliveryStatus(n, committee)), el("td", {}, n.attempts)))));
}

// A visit's or a meeting's "Who was told": its notifications, refreshed with the page.
function whoWasTold(told, committee) {
  return el("section", { "data-testid": "who-was-told" }, el("h2", {}, "Who was told"),
    toldTable(told, false, "No one has been notified yet.", committee));
}

const directoryView = {
  title: "Directory",
  async load(query) {
    const params = new URLSearchParams();
    for (const key of ["role", "committee"]) if (query.get(key)) params.set(key, query.get(key));
    if (query.get("current") === "1") params.set("on", todayUTC());
    const contacts = await api("notifications", `/contacts?${params}`);
    // a donor's contact is shown with its donor's name (the visits service's registry)
    const donors = contacts.some((c) => c.donor_id) ? await api("visits", "/donors").catch(() => []) : [];
    return { contacts, donors: Object.fromEntries(donors.map((d) => [d.id, d.name])) };
  },
  render({ contacts, donors }, query) {
    const option = (name) => ([value, text]) => el("option", { value, selected: (query.get(name) || "") === value }, text);
    const filters = el("form", { class: "inline card", id: "directory-filters" },
      el("div", {}, el("label", { for: "filter-role" }, "Role"),
        el("select", { id: "filter-role", name: "role" }, [["", "any"], ...Object.entries(CONTACT_ROLES)].map(option("role")))),
      el("div", {}, el("label", { for: "filter-committee" }, "Committee"),
        el("select", { id: "filter-committee", name: "committee" },
          [["", "any"], ["ctc", "CTC (and both)"], ["1540", "1540 (and both)"]].map(option("committee")))),
      el("div", {}, el("label", { for: "filter-current" }, "Holding the role today"),
        el("input", { id: "filter-current", name: "current", type: "checkbox", value: "1", checked: query.get("current") === "1" })),
      el("button", { type: "submit" }, "Filter"),
      el("a", { href: "#/directory", class: "button secondary" }, "Clear"));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(filters)) if (v) params.set(k, v);
      location.hash = `#/directory?${params}`;
    });
    const today = todayUTC();
    return el("div", {}, el("h1", {}, "Directory of contacts"),
      el("p", { class: "muted" }, "Whom the notifications service tells, and of what: the Council delegations, of meetings (announced, moved, ",
        "postponed, cancelled) and their documents; a State's national contact points, of what the State owes on a visit (consent, ",
        "observations, response) and of outcomes communicated to it; an organization's focal points, of pre-visit information asked ",
        "of it; a donor's contacts, of needs shared with it or no longer; the secretariat, of action items and meeting reports falling due. ",
        "Each is told of its Committee's work (or both Committees'), from its first day to its last."),
      can("editDirectory") ? el("div", { class: "actions" }, el("button", { type: "button", id: "add-contact", onclick: addContact }, "Add a contact")) : null,
      filters,
      el("p", { class: "muted", "data-testid": "count" }, `${contacts.length} contact(s)`),
      el("div", { "data-testid": "contacts" }, table(["role", "Committee", "name", "State", "organization", "e-mail", "since", "until"],
        contacts.map((c) => [roleWords(c.role), committeeWords(c.committee),
          el("a", { href: `#/directory/${c.id}`, "data-contact": c.id }, c.name), c.member_state_name || "-",
          c.organization || (c.donor_id ? donors[c.donor_id] || "a donor no longer registered" : "-"), el("span", { class: "mono" }, c.email),
          when(c.since), c.until ? [when(c.until), c.until < today ? [" ", badge("ended")] : ""] : "-"]),
        "No contact.")));
  },
};

// The form to put a contact in the directory: only the fields its role names are asked.
async function addContact() {
  const [organizations, donors] = await Promise.all([api("visits", "/organizations").catch(() => null), donorChoices().catch(() => null)]);
  const choices = {
    role: Object.entries(CONTACT_ROLES),
    committee: (state.me.committee ? [state.me.committee] : ["ctc", "1540", "both"]).map((c) => [c, committeeWords(c)]),
  };
  if (organizations) choices.organization = organizations.map((o) => [o.name, o.abbreviations.length ? `${o.name} (${o.abbreviations.join(", ")})` : o.name]);
  if (donors) choices.donor_id = donors;
  const names = (party) => (body) => CONTACT_PARTY[body.role] === party;
  await openForm({
    service: "notifications", path: "/contacts", title: "Add a contact", skip: ["contact_id", "occurred_at"], choices,
    values: { since: todayUTC() },
    shown: { member_state: names("member_state"), organization: names("organization"), donor_id: names("donor_id") },
    done: (c) => { flash(`${c.name} added to the directory`); rerender(); },
  });
}

function contactView(id) {
  return {
    title: "Contact",
    async load() {
      const [contact, history, told] = await Promise.all([api("notifications", `/contacts/${id}`),
        api("notifications", `/contacts/${id}/history`), toldOf({ contact_id: id })]);
      const donor = contact.donor_id ? (await api("visits", "/donors").catch(() => [])).find((d) => d.id === contact.donor_id) : null;
      return { contact, history, told, donor: donor ? donor.name : null };
    },
    render({ contact: c, history, told, donor }) {
      // the notifications service says which steps the caller may take (its command table's
      // roles, then the contact's own rules); the others show the rule refusing them
      const steps = nextSteps(c.next_steps, (command) => contactStep(c, command), "Nothing more can change on this contact.");
      const ended = c.until && c.until < todayUTC();
      return el("div", { "data-contact": c.id, "data-version": c.version },
        el("p", {}, el("a", { href: "#/directory" }, "← the directory")),
        el("h1", {}, c.name),
        el("div", {}, badge(roleWords(c.role)), badge(committeeWords(c.committee)), ended ? badge(`ended ${written(c.until)}`) : null,
          badge(`version ${c.version}`)),
        steps,
        el("div", { class: "grid2" },
          el("div", {},
            el("h2", {}, "The contact"),
            el("dl", { class: "facts card", "data-testid": "contact" }, [["role", roleWords(c.role)], ["Committee", committeeWords(c.committee)],
              ["State", c.member_state ? c.member_state_name || stateName(c.member_state) : "-"], ["organization", c.organization || "-"],
              ["donor", c.donor_id ? donor || "a donor no longer registered" : "-"], ["e-mail", el("span", { class: "mono", "data-testid": "email" }, c.email)],
              ["since", when(c.since)], ["until", c.until ? when(c.until) : "until further notice"], ["why it ended", c.ended_reason || "-"],
            ].map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
            el("h2", {}, "What was sent to this contact"),
            el("div", { "data-testid": "sent-to-contact" }, toldTable(told, true, "Nothing has been sent to this contact yet."))),
          el("div", {}, el("h2", {}, `Timeline (${history.length} events)`),
            timeline(history, { donor_id: donor ? { [c.donor_id]: donor } : {} }, c.committee))));
    },
  };
}

async function contactStep(contact, command) {
  await openForm({
    service: "notifications", path: `/contacts/{contact_id}/${command}`, post: `/contacts/${contact.id}/${command}`,
    title: `${human(command)}: ${contact.name}`, hidden: { expected_version: contact.version },
    values: command === "change-contact" ? { name: contact.name, email: contact.email } : { until: todayUTC() },
    done: () => { flash(`${human(command)}: done`); rerender(); },
  });
}

// -- reports --------------------------------------------------------------------------------

const FORMATS = [["pdf", "PDF"], ["docx", "Word"], ["xlsx", "Excel (XLSX)"], ["csv", "CSV tables (zip)"], ["html", "HTML"],
  ["md", "Markdown"], ["json", "JSON (figures)"]];

function reportQuery(form) {
  const data = new FormData(form);
  const params = new URLSearchParams();
  params.set("kind", data.get("kind"));
  params.set("committee", data.get("committee"));
  if (data.get("start") && data.get("end")) { params.set("start", data.get("start")); params.set("end", data.get("end")); }
  else {
    params.set("year", data.get("year"));
    if (data.get("kind") === "semi-annual") params.set("half", data.get("half"));
    else params.set("starts_in_month", data.get("starts_in_month"));
  }
  const asOf = data.get("as_of");
  if (asOf) { params.set("as_of", zonedToUtc(asOf, committeeZone(data.get("committee")))); params.set("basis", data.get("basis")); }
  if (data.get("issued_on")) params.set("issued_on", data.get("issued_on"));
  if (data.get("symbol")) params.set("symbol", data.get("symbol"));
  return params;
}

function fileName(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

const reportsView = {
  title: "Reports",
  poll: false,
  render() {
    const now = new Date();
    const lastHalf = now.getUTCMonth() < 6 ? [now.getUTCFullYear() - 1, 2] : [now.getUTCFullYear(), 1];
    const errorBox = el("div", { class: "error", hidden: true, "data-testid": "report-error" });
    const frame = el("iframe", { class: "report", title: "the report", sandbox: "", hidden: true, "data-testid": "report-frame" });
    const downloads = el("div", { class: "actions", hidden: true, "data-testid": "downloads" });
    const form = el("form", { class: "card", id: "report-form" },
      el("div", { class: "inline", style: "display:flex;gap:.8rem;flex-wrap:wrap;align-items:end" },
        // whose report: one Committee's; both together only when asked (a token of one
        // Committee has its own alone)
        el("div", {}, el("label", { for: "committee" }, "Committee"), el("select", { id: "committee", name: "committee" },
          (state.me && state.me.committee ? [state.me.committee] : ["ctc", "1540", "both"]).map((c) =>
            el("option", { value: c }, { ctc: "Counter-Terrorism Committee (CTED)", 1540: "1540 Committee", both: "both Committees together" }[c])))),
        el("div", {}, el("label", { for: "kind" }, "Kind"), el("select", { id: "kind", name: "kind" },
          el("option", { value: "semi-annual" }, "semi-annual"), el("option", { value: "annual" }, "annual"))),
        el("div", {}, el("label", { for: "year" }, "Year"), el("input", { id: "year", name: "year", type: "number", min: 1945, max: 2200, value: lastHalf[0], required: true })),
        el("div", {}, el("label", { for: "half" }, "Half (semi-annual)"), el("select", { id: "half", name: "half" },
          el("option", { value: "1", selected: lastHalf[1] === 1 }, "1: January–June"), el("option", { value: "2", selected: lastHalf[1] === 2 }, "2: July–December"))),
        el("div", {}, el("label", { for: "starts_in_month" }, "Year starts in (annual)"), el("select", { id: "starts_in_month", name: "starts_in_month" },
          Array.from({ length: 12 }, (_, i) => el("option", { value: i + 1 }, i === 0 ? "1: January (calendar year)" : i === 5 ? "6: June (1540 programme year)" : String(i + 1)))))),
      el("details", {}, el("summary", {}, "Any period instead (start and end)"),
        el("div", { style: "display:flex;gap:.8rem;flex-wrap:wrap" },
          el("div", {}, el("label", { for: "start" }, "Start"), el("input", { id: "start", name: "start", type: "date" })),
          el("div", {}, el("label", { for: "end" }, "End (included)"), el("input", { id: "end", name: "end", type: "date" })))),
      el("div", { style: "display:flex;gap:.8rem;flex-wrap:wrap;align-items:end" },
        el("div", {}, el("label", { for: "as_of" }, `As of (${placeOf(committeeZone())}; empty: everything recorded)`), el("input", { id: "as_of", name: "as_of", type: "datetime-local" })),
        el("div", {}, el("label", { for: "basis" }, "Basis (with as of)"), el("select", { id: "basis", name: "basis" },
          el("option", { value: "recorded" }, "recorded by then"), el("option", { value: "occurred" }, "happened by then"))),
        el("div", {}, el("label", { for: "issued_on" }, "Date of issue (empty: today)"), el("input", { id: "issued_on", name: "issued_on", type: "date" })),
        el("div", {}, el("label", { for: "symbol" }, "Symbol (empty: S/____ to fill in)"), el("input", { id: "symbol", name: "symbol", type: "text", maxlength: 60, placeholder: "S/2026/100" })),
        el("button", { type: "submit", id: "build" }, "Build the report")),
      errorBox);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errorBox.hidden = true;
      const params = reportQuery(form);
      const button = form.querySelector("#build");
      button.disabled = true;
      button.textContent = "Building…";
      try {
        params.set("format", "html");
        const response = await api("reporting", `/reports?${params}`, { raw: true });
        frame.srcdoc = await response.text();
        frame.hidden = false;
        downloads.replaceChildren(el("strong", { style: "padding:.35rem 0" }, "Download: "), ...FORMATS.map(([format, label]) =>
          el("button", { type: "button", class: "secondary", "data-format": format, onclick: () => {
            const query = new URLSearchParams(params);
            query.set("format", format);
            download("reporting", `/reports?${query}`, `report.${format === "csv" ? "csv.zip" : format}`, errorBox);
          } }, label)));
        downloads.hidden = false;
      } catch (error) {
        showRefusal(errorBox, error);
      } finally {
        button.disabled = false;
        button.textContent = "Build the report";
      }
    });
    return el("div", {}, el("h1", {}, "Reports"),
      el("p", { class: "muted" }, "Built by the reporting service from the events alone, as the document the Committee circulates: front matter, numbered paragraphs, charts and the statistical annex, ending with its provenance. Word, Excel and CSV are for finishing it in the secretariat's own template."),
      form, downloads, frame);
  },
};

// Fetch a file with the signed-in token and hand it to the browser as a download (a plain
// link could not send the token).
async function download(service, path, fallbackName, errorBox) {
  try {
    const response = await api(service, path, { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: fileName(response, fallbackName), hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    flash(`Downloaded ${link.download}`);
  } catch (error) {
    if (!errorBox) return flash(error.message, true);
    showRefusal(errorBox, error);
  }
}

// Replay dead letters (one, all of a reason, all) through the reporting service's intake; the
// outcome of each is kept there and shown here.
async function replayDeadLetters(body, button) {
  button.disabled = true;
  try {
    const answer = await api("reporting", "/dead-letters/replay", { method: "POST", body });
    const outcomes = Object.entries(answer.outcomes).map(([o, n]) => `${n} ${human(o)}`).join(", ");
    flash(`Replayed ${answer.replayed}: ${outcomes || "nothing was open"}`);
  } catch (error) {
    flash(error.message, true);
  } finally {
    button.disabled = false;
    rerender();
  }
}

const statusView = {
  title: "Reporting status",
  async load() {
    const [status, dead] = await Promise.all([api("reporting", "/status"),
      api("reporting", "/dead-letters?limit=20&status=open")]);
    return { status, dead };
  },
  render({ status: s, dead }) {
    const lag = s.broker && s.broker["reporting.events"] ? s.broker["reporting.events"].messages : "?";
    const total = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);
    const open = s.open_dead_letters || {};
    const figure = (n, label, testid) => el("div", { class: "figure", "data-testid": testid }, el("div", { class: "n" }, n), el("div", { class: "label" }, label));
    const replay = (label, body, testid) => {
      const button = el("button", { type: "button", "data-testid": testid }, label);
      button.addEventListener("click", () => replayDeadLetters(body, button));
      return button;
    };
    const canReplay = can("reports");
    return el("div", {}, el("h1", {}, "Reporting status"),
      el("div", { class: "figures" },
        figure(s.events_recorded, "events recorded", "events-recorded"),
        figure(s.projection.behind, "events not yet in the projections"),
        figure(lag, "lag: messages waiting in reporting.events", "lag"),
        figure(total(s.dead_letters), "dead letters kept", "dead-letters"),
        figure(total(open), "dead letters not dealt with", "open-dead-letters"),
        figure(s.consumer && s.consumer.consuming ? "yes" : "no", "consuming now")),
      s.broker && s.broker.error ? el("div", { class: "error" }, `the broker cannot be asked: ${s.broker.error}`) : null,
      s.consumer && s.consumer.last_error ? el("div", { class: "error" }, `consumer: ${s.consumer.last_error}`) : null,
      s.consumer && s.consumer.store_error ? el("div", { class: "error", "data-testid": "store-error" },
        `the store cannot be written (${s.consumer.store_error}): events are kept and tried again`) : null,
      s.projection_runner && s.projection_runner.error ? el("div", { class: "error" },
        `the projections cannot catch up (${s.projection_runner.error}): tried again`) : null,
      el("h2", {}, "Last event from each source"),
      table(["source", "event", "recorded", "received", "position"], Object.entries(s.last_event_by_source || {}).map(([src, e]) =>
        [src, human(e.event_type), when(e.recorded_at), when(e.received_at), e.position]), "No event recorded yet."),
      el("h2", {}, "Dead letters by reason"),
      table(["reason", "kept", "not dealt with", ""], Object.entries(s.dead_letters || {}).map(([r, n]) =>
        [human(r), n, open[r] || 0, canReplay && open[r] ? replay(`Replay all ${human(r)}`, { reason: r }, `replay-reason-${r}`) : ""]),
        "No dead letter."),
      dead.length ? [el("h2", {}, "Dead letters not dealt with"),
        el("p", { class: "muted" }, "Replay a letter once its cause is fixed: it goes through the intake like any event."),
        canReplay ? replay("Replay all", { all: true }, "replay-all") : null,
        table(["received", "reason", "from", "detail", "last replay", ""], dead.map((d) =>
          [when(d.received_at), human(d.reason), `${d.exchange || "-"} ${d.routing_key || ""}`,
            el("span", { class: "mono" }, String(d.detail || "").slice(0, 200)), d.last_outcome ? human(d.last_outcome) : "-",
            canReplay ? replay("Replay", { id: d.id }, `replay-${d.id}`) : ""]))] : null,
      el("h2", {}, "Queues"),
      table(["queue", "messages", "consumers"], Object.entries(s.broker || {}).filter(([q]) => q !== "error").map(([q, b]) =>
        [q, b.messages, b.consumers]), "-"),
      el("p", { class: "muted" }, `Projection: ${s.projection.events} events to position ${s.projection.stream_position}; hash ${String(s.projection.events_hash).slice(0, 16)}…`));
  },
};

// -- start ----------------------------------------------------------------------------------

window.addEventListener("hashchange", route);
// After every script of the page (account.js adds its views to VIEWS) has run.
document.addEventListener("DOMContentLoaded", async () => {
  const session = await loadSession().catch(() => null);
  if (session) startSession(session);
  route();
});

/* The home page: what awaits the person signed in, by role. Each panel is one question to a
 * service (its own filters: overdue, awaiting, a date range), the first few records, and a link
 * to the whole list. Uses console.js's helpers (el, api, when, badge, can, state...). */
"use strict";

const HOME_SHOWN = 5;  // records a panel lists before "see all"

// A day of the viewer's calendar as the services take it (console.js's pad).
const isoDay = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

// This week, Monday to Sunday, in the viewer's calendar.
function thisWeek() {
  const today = new Date();
  const monday = new Date(today);
  monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));
  const sunday = new Date(monday);
  sunday.setDate(monday.getDate() + 6);
  return [isoDay(monday), isoDay(sunday)];
}

function inDays(days) {
  const day = new Date();
  day.setDate(day.getDate() + days);
  return isoDay(day);
}

// One panel: a heading with how many, the first records, a link to all of them; a service that
// does not answer is said in the panel, and the others are drawn as usual.
function panel(id, title, result, row, all, empty) {
  if (result instanceof Error) {
    return el("section", { class: "card panel", "data-panel": id, "aria-labelledby": `panel-${id}` },
      el("h2", { id: `panel-${id}` }, title), el("p", { class: "error" }, `Cannot be shown now: ${result.message}`));
  }
  const items = result || [];
  return el("section", { class: `card panel${items.length ? " busy" : ""}`, "data-panel": id, "aria-labelledby": `panel-${id}` },
    el("h2", { id: `panel-${id}` }, title, " ", el("span", { class: "count", "data-testid": `count-${id}` }, String(items.length))),
    items.length ? el("ul", {}, items.slice(0, HOME_SHOWN).map((item) => el("li", {}, row(item)))) : el("p", { class: "muted" }, empty),
    items.length > HOME_SHOWN || (all && items.length) ? el("p", {}, el("a", { href: all }, `See all ${items.length}`)) : null);
}

const settled = (promise) => promise.catch((error) => error);

const visitLink = (v) => el("a", { href: `#/visits/${v.id}` }, `${v.country} (${committeeWords(v.committee)})`);
const meetingLink = (m) => el("a", { href: `#/meetings/${m.id}` }, m.title);

function dueOf(v, what) {
  const w = (v.waiting_for || []).find((x) => !what || x.what === what);
  return w && w.due_on ? ` — due ${when(w.due_on, v.committee)}` : "";
}

const awaitsView = {
  title: "Home",
  async load() {
    const asks = {};
    const [monday, sunday] = thisWeek();
    if (can("driveVisits")) {
      asks.overdueVisits = api("visits", "/visits?overdue=true&sort=starts");
      asks.toApprove = api("visits", "/visits?waiting_for=committee_approval");
      asks.consent = api("visits", "/visits?waiting_for=state_consent&sort=starts");
      asks.soon = api("visits", `/visits?from=${isoDay(new Date())}&to=${inDays(30)}&sort=starts`);
    }
    if (can("readMeetings")) {
      asks.week = api("meetings", `/meetings?from=${monday}&to=${sunday}&sort=starts`);
      asks.toReport = api("meetings", "/meetings?awaiting=report_to_committee");
      asks.decisions = api("meetings", "/outcomes/awaiting-approval");
      asks.actions = api("meetings", "/meetings?overdue=true");
    }
    if (can("runMeetings")) {
      asks.toAnnounce = api("meetings", "/meetings?awaiting=announcement&sort=starts");
      asks.documents = api("meetings", "/meetings?awaiting=documents&sort=starts");
    }
    if (can("logOutcomes")) asks.groups = api("meetings", "/groups");
    if (can("reports")) asks.status = api("reporting", "/status");
    if (can("donorShares")) asks.shares = api("visits", "/donor/shares");
    const names = Object.keys(asks);
    const answers = await Promise.all(names.map((n) => settled(asks[n])));
    return Object.fromEntries(names.map((n, i) => [n, answers[i]]));
  },
  render(d) {
    const me = state.me;
    const panels = [];
    // a chair's panels are of the groups they chair
    const mine = d.groups && !(d.groups instanceof Error)
      ? new Set(d.groups.filter((g) => g.chair && g.chair.user === me.user).map((g) => g.id)) : null;
    const ofMine = (list) => (mine && Array.isArray(list) ? list.filter((m) => mine.has(m.group_id)) : list);
    if (can("driveVisits")) {
      panels.push(
        panel("overdue-visits", "Overdue", d.overdueVisits, (v) => [visitLink(v), " waits for ",
          (v.waiting_for || []).filter((w) => w.overdue).map((w) => human(w.what)).join(", "), dueOf(v)], "#/overdue",
        "Nothing is overdue."),
        panel("to-approve", "To approve", d.toApprove, (v) => [visitLink(v), ` proposed ${when(v.proposed_at, v.committee)}`],
          "#/visits?status=proposed", "No visit awaits approval."),
        panel("consent", "Awaiting the State's consent", d.consent, (v) => [visitLink(v), dueOf(v, "state_consent")],
          "#/visits?status=awaiting_consent", "No consent is awaited."),
        panel("visits-soon", "Visits in the next 30 days", d.soon, (v) => [visitLink(v), ` from ${when(v.starts_on)} to ${when(v.ends_on)}`],
          `#/visits?from=${isoDay(new Date())}&to=${inDays(30)}&sort=starts`, "No visit in the next 30 days."));
    }
    if (can("readMeetings")) {
      panels.push(panel("this-week", "This week's meetings", ofMine(d.week), (m) => [meetingLink(m), ` ${when(m.starts_at, m.committee)}`,
        m.location ? `, ${m.location}` : ""], `#/schedule`, "No meeting this week."));
    }
    if (can("runMeetings")) {
      panels.push(
        panel("to-announce", "To announce", d.toAnnounce, (m) => [meetingLink(m), ` ${when(m.starts_at, m.committee)}`],
          "#/meetings?awaiting=announcement", "Every meeting is announced."),
        panel("documents", "Documents to circulate", d.documents, (m) => [meetingLink(m), ` ${when(m.starts_at, m.committee)}`],
          "#/meetings?awaiting=documents", "No meeting awaits its documents."));
    }
    if (can("runMeetings") || can("logOutcomes")) {
      panels.push(
        panel("to-report", "To report to the Committee", ofMine(d.toReport), (m) => [meetingLink(m), ` held ${when(m.ends_at, m.committee)}`],
          "#/awaiting", "Every meeting held was reported."),
        panel("decisions", "Outcomes awaiting the Committee's decision", ofMine(d.decisions), (o) => [
          el("a", { href: `#/meetings/${o.meeting_id}` }, o.meeting), `: ${o.text}`], "#/awaiting", "No outcome awaits a decision."),
        panel("action-items", "Action items overdue", ofMine(d.actions), (m) => [meetingLink(m), `: ${m.action_items_overdue.length} overdue`],
          "#/overdue", "No action item is overdue."));
    }
    if (can("reports") && d.status) {
      const s = d.status;
      panels.push(s instanceof Error ? panel("reporting", "Reporting", s) : el("section", { class: "card panel", "data-panel": "reporting" },
        el("h2", {}, "Reporting"),
        el("p", {}, `${s.events_recorded} events recorded; ${s.projection.behind} not yet in the reports.`),
        Object.values(s.open_dead_letters || {}).reduce((a, b) => a + b, 0)
          ? el("p", { class: "error" }, "Some events could not be recorded: ", el("a", { href: "#/status" }, "see the dead letters"))
          : el("p", { class: "muted" }, "No dead letter to deal with."),
        el("p", {}, el("a", { href: "#/reports" }, "Build a report"))));
    }
    if (can("donorShares")) {
      panels.push(panel("shares", "Needs assessments shared with you", d.shares, (s) => [
        el("a", { href: "#/shares" }, s.country), ` — ${committeeWords(s.committee)}, shared ${when(s.shared_at, s.committee)}`,
        s.revoked ? " (revoked)" : ""], "#/shares", "Nothing has been shared with you yet."));
    }
    const busy = panels.filter((p) => p.classList.contains("busy")).length;
    return el("div", {},
      el("h1", {}, `Welcome, ${me.full_name || me.user}`),
      el("p", { class: "muted" }, el("strong", { "data-testid": "role" }, ROLE_NAMES[me.role] || human(me.role)),
        `, ${me.committee ? committeeWords(me.committee) : "both Committees"}. `,
        busy ? `${busy} of these lists have something for you.` : "Nothing awaits you right now."),
      el("div", { class: "panels" }, panels));
  },
};

VIEWS[""] = () => awaitsView;

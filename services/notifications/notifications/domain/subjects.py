"""What the notifications service knows of each visit, meeting and working group it hears of,
and what an event of theirs asks it to tell, and whom.

Pure functions of the events (no I/O): ``observe`` folds one event into the subject's state and
says which notices it causes (``Intent``: what to tell, the audience, the facts the message
gives); ``reminders`` says which reminders a subject owes on a day. The application resolves an
audience to contacts of the directory, writes the messages and records the notifications.

The state of a subject is a JSON-ready dict. Its ``dues`` are what someone owes by a date: the
State's consent, an organization's pre-visit information, the State's observations and response
on a visit report, an action item, a meeting's report to the Committee. A due is reminded
``before`` days before its date (``..._due_soon``) and the day after (``..._overdue``), once each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.contract.organizations import common_name
from shared.contract.vocabulary import MEETING_KIND_RULES


@dataclass(frozen=True)
class Audience:
    """Whom to tell: the delegations; the national contact points of ``states``; the focal points
    of ``organization``; the contacts of ``donor_id``; the secretariat. Those of the Committee,
    holding the role on ``day``."""

    kind: str  # delegation, national_contact_point, organization_focal_point, donor_contact, secretariat
    committee: str
    day: date
    states: tuple[str, ...] = ()
    organization: str = ""
    donor_id: str | None = None


@dataclass(frozen=True)
class Intent:
    notice: str
    cause_event_id: str
    cause_event_type: str
    correlation_id: str
    subject_kind: str
    subject_id: str
    regarding_on: date
    audience: Audience
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    remind_before_days: int = 7  # a "due soon" reminder this many days before the due date
    overdue_window_days: int = 30  # an overdue reminder only within this many days after it
    meeting_report_days: int = 14  # a meeting's report to the Committee is reminded this long after it


def new_state(kind: str) -> dict:
    return {"kind": kind, "seen": [], "dues": {}}


def _day(moment: str) -> date:
    return datetime.fromisoformat(moment).date()


def observe(state: dict, envelope: dict, *, group: dict | None = None,
            settings: Settings = Settings()) -> list[Intent]:
    """Fold ``envelope`` into ``state`` (in place) and return the notices it causes. An event
    met before causes nothing and changes nothing. ``group``: a meeting's working group's
    state (its Committee)."""
    if envelope["event_id"] in state["seen"]:
        return []
    state["seen"].append(envelope["event_id"])
    handler = _VISIT.get(envelope["event_type"]) or _MEETING.get(envelope["event_type"])
    if handler is None:
        return []
    if state["kind"] == "meeting" and group is not None:
        state["committee"] = group.get("committee")
        state["group"] = group.get("name")
    return handler(state, envelope, settings) or []


def _start_day(state: dict) -> date | None:
    return _day(state["starts_at"]) if state.get("starts_at") else None


def _intent(state: dict, e: dict, notice: str, audience_kind: str, regarding_on: date | None,
            day: date | None = None, **facts) -> list[Intent]:
    committee = state.get("committee")
    if not committee or regarding_on is None:
        # a meeting of a group never heard of (no Committee to tell for), or never heard of
        # being scheduled (no dates to tell): the service heard of it too late
        return []
    audience_facts = {k: tuple(v) if isinstance(v, list) else v
                      for k, v in ((k, facts.pop(k)) for k in ("states", "organization", "donor_id") if k in facts)}
    return [Intent(notice, e["event_id"], e["event_type"], e["correlation_id"], state["kind"], e["aggregate_id"],
                   regarding_on, Audience(audience_kind, committee, day or _day(e["occurred_at"]), **audience_facts),
                   {**_subject_facts(state), **facts})]


def _subject_facts(state: dict) -> dict:
    keep = ("committee", "member_state", "title", "group", "meeting_kind", "starts_at", "ends_at", "location",
            "sequence")
    return {k: state[k] for k in keep if k in state}


def _due(state: dict, e: dict, key: str, notice: str, audience_kind: str, due_on: str | None, **facts) -> None:
    if not due_on:
        state["dues"].pop(key, None)
        return
    state["dues"][key] = {"notice": notice, "cause": e["event_id"], "cause_type": e["event_type"],
                          "correlation_id": e["correlation_id"], "due_on": due_on, "audience": audience_kind,
                          "facts": facts, "reminded": []}


def _close(state: dict, *keys: str) -> None:
    for key in keys:
        state["dues"].pop(key, None)


# -- visits ---------------------------------------------------------------------------------------


def _visit_proposed(s, e, _):
    s.update(committee=e["payload"]["committee"], member_state=e["payload"]["member_state"], status="proposed")


def _consent_requested(s, e, _):
    _due(s, e, "consent", "consent", "national_contact_point", e["payload"].get("due_on"), states=[s.get("member_state")])


def _consent_answered(s, e, _):
    _close(s, "consent")


def _due_date_reset(s, e, _):
    p = e["payload"]
    if p["awaited"] == "consent":
        _due(s, e, "consent", "consent", "national_contact_point", p["due_on"], states=[s.get("member_state")])
    else:
        _due(s, e, _info_key(p["organization"]), "pre_visit_info", "organization_focal_point", p["due_on"],
             organization=p["organization"])


def _info_key(organization: str) -> str:
    """One due date an organization, whichever of its names an event gives."""
    return f"pre_visit_info:{common_name(organization)}"


def _info_requested(s, e, _):
    p = e["payload"]
    _due(s, e, _info_key(p["organization"]), "pre_visit_info", "organization_focal_point", p["due_on"],
         organization=p["organization"])
    return _intent(s, e, "pre_visit_info_requested", "organization_focal_point", date.fromisoformat(p["due_on"]),
                   organization=p["organization"], due_on=p["due_on"])


def _info_received(s, e, _):
    _close(s, _info_key(e["payload"]["organization"]))


def _shared(s, e, _):
    p = e["payload"]
    return _intent(s, e, "share_made", "donor_contact", _day(e["occurred_at"]), donor_id=p["donor_id"],
                   donor_name=p["donor_name"], needs=len(p["need_ids"]))


def _revoked(s, e, _):
    p = e["payload"]
    return _intent(s, e, "share_revoked", "donor_contact", _day(e["occurred_at"]), donor_id=p["donor_id"],
                   donor_name=p["donor_name"], reason=p.get("reason", ""))


def _transmitted(s, e, _):
    p = e["payload"]
    states = [s.get("member_state")]
    _due(s, e, "observations", "observations", "national_contact_point", p["observations_due_on"], states=states)
    _due(s, e, "response", "response", "national_contact_point", p["response_due_on"], states=states)


def _answered(s, e, _):
    _close(s, e["payload"]["answer"])


def _visit_over(s, e, _):
    s["dues"].clear()


def _follow_up_ended(s, e, _):
    _close(s, "observations", "response")


_VISIT = {
    "visit_proposed": _visit_proposed, "consent_requested": _consent_requested,
    "consent_granted": _consent_answered, "consent_declined": _consent_answered,
    "due_date_reset": _due_date_reset, "pre_visit_info_requested": _info_requested,
    "pre_visit_info_received": _info_received, "needs_assessment_shared": _shared,
    "needs_assessment_share_revoked": _revoked, "visit_report_transmitted": _transmitted,
    "state_answer_received": _answered, "visit_cancelled": _visit_over, "visit_closed": _visit_over,
    "follow_up_ended": _follow_up_ended,
}

# -- working groups and meetings ------------------------------------------------------------------


def _group_established(s, e, _):
    s.update(committee=e["payload"]["committee"], name=e["payload"]["name"])


def _scheduled(s, e, _):
    p = e["payload"]
    s.update(group_id=p["group_id"], title=p["title"], meeting_kind=p["meeting_kind"], starts_at=p["starts_at"],
             ends_at=p["ends_at"], location=p.get("location", ""), status="scheduled", announced=False, sequence=0,
             outcomes={})


def _announced(s, e, _):
    s["announced"] = True
    return _intent(s, e, "meeting_announced", "delegation", _start_day(s), notice_text=e["payload"].get("notice", ""))


def _postponed(s, e, _):
    p = e["payload"]
    was_announced = s.get("announced")
    s["sequence"] = s.get("sequence", 0) + 1
    if p.get("starts_at"):
        s.update(starts_at=p["starts_at"], ends_at=p["ends_at"], status="scheduled")
    else:
        s["status"] = "postponed"
    s["announced"] = False  # its new dates are announced again
    if not was_announced:
        return []
    notice = "meeting_moved" if p.get("starts_at") else "meeting_postponed"
    return _intent(s, e, notice, "delegation", _start_day(s), reason=p["reason"])


def _cancelled(s, e, _):
    was_announced = s.get("announced")
    s["status"] = "cancelled"
    s["sequence"] = s.get("sequence", 0) + 1
    s["dues"].clear()
    if not was_announced:
        return []
    return _intent(s, e, "meeting_cancelled", "delegation", _start_day(s), reason=e["payload"]["reason"])


def _circulated(s, e, _):
    p = e["payload"]
    return _intent(s, e, "document_circulated", "delegation", _start_day(s), document_title=p["title"],
                   symbol=p.get("symbol", ""), hours_before_meeting=p["hours_before_meeting"])


def _held(s, e, settings: Settings):
    s["status"] = "held"
    rules = MEETING_KIND_RULES.get(s.get("meeting_kind", ""))
    if rules is not None and rules.reports_to_committee:
        due = _day(e["occurred_at"]) + timedelta(days=settings.meeting_report_days)
        _due(s, e, "meeting_report", "meeting_report", "secretariat", due.isoformat(), held_on=_day(e["occurred_at"]).isoformat())


def _reported(s, e, _):
    _close(s, "meeting_report")


def _outcome_logged(s, e, _):
    p = e["payload"]
    s.setdefault("outcomes", {})[p["outcome_id"]] = {"kind": p["outcome_kind"], "text": p["text"]}
    if p.get("amends"):
        _close(s, f"action_item:{p['amends']}")
    if p["outcome_kind"] == "action_item":
        _due(s, e, f"action_item:{p['outcome_id']}", "action_item", "secretariat", p.get("due_on"),
             outcome_id=p["outcome_id"], owner=p.get("owner", ""), text=p["text"])


def _outcome_corrected(s, e, _):
    p = e["payload"]
    outcome = s.setdefault("outcomes", {}).setdefault(p["outcome_id"], {"kind": None})
    outcome["text"] = p["text"]
    key = f"action_item:{p['outcome_id']}"
    if outcome.get("kind") == "action_item" or key in s["dues"]:
        _due(s, e, key, "action_item", "secretariat", p.get("due_on"), outcome_id=p["outcome_id"],
             owner=p.get("owner", ""), text=p["text"])


def _action_item(s, e, _):
    p = e["payload"]
    key = f"action_item:{p['outcome_id']}"
    if p["status"] != "open":
        _close(s, key)


def _communicated(s, e, _):
    p = e["payload"]
    outcome = s.get("outcomes", {}).get(p["outcome_id"], {})
    return _intent(s, e, "outcome_communicated", "national_contact_point", _day(e["occurred_at"]),
                   states=list(p["member_states"]), outcome_id=p["outcome_id"], outcome_text=outcome.get("text", ""),
                   outcome_kind=outcome.get("kind") or "")


_MEETING = {
    "working_group_established": _group_established, "meeting_scheduled": _scheduled, "meeting_announced": _announced,
    "meeting_postponed": _postponed, "meeting_cancelled": _cancelled, "document_circulated": _circulated,
    "meeting_held": _held, "meeting_reported_to_committee": _reported, "outcome_logged": _outcome_logged,
    "outcome_corrected": _outcome_corrected, "action_item_status_changed": _action_item,
    "outcome_communicated": _communicated,
}

SUBJECT_OF = {**{t: "visit" for t in _VISIT}, **{t: "meeting" for t in _MEETING}, "working_group_established": "working_group"}


# -- reminders --------------------------------------------------------------------------------------


def reminders(state: dict, subject_id: str, today: date, settings: Settings = Settings()) -> list[tuple[str, str, Intent | None]]:
    """The reminders ``state`` owes on ``today``: (due key, "soon" or "overdue", the intent or
    None where the moment passed without one: a due date already past when it was set, an
    overdue one older than the window). The caller records each intent, then marks each
    (key, when) reminded (``mark_reminded``)."""
    owed: list[tuple[str, str, Intent | None]] = []
    committee = state.get("committee")
    for key, due in sorted(state["dues"].items()):
        due_on = date.fromisoformat(due["due_on"])
        facts = {**_subject_facts(state), **due["facts"], "due_on": due["due_on"]}
        cause = {"event_id": due["cause"], "event_type": due["cause_type"], "correlation_id": due["correlation_id"],
                 "aggregate_id": subject_id}
        kinds = [("soon", f"{due['notice']}_due_soon", due_on - timedelta(days=settings.remind_before_days)),
                 ("overdue", f"{due['notice']}_overdue", due_on + timedelta(days=1))]
        if due["notice"] == "meeting_report":
            kinds = [("overdue", "meeting_report_overdue", due_on)]
        for when, notice, from_day in kinds:
            if when in due["reminded"] or today < from_day:
                continue
            late = (when == "soon" and today > due_on) or (
                when == "overdue" and (today - due_on).days > settings.overdue_window_days)
            if late or not committee:
                owed.append((key, when, None))
                continue
            audience = {k: tuple(v) if isinstance(v, list) else v for k, v in due["facts"].items()
                        if k in ("states", "organization")}
            owed.append((key, when, Intent(
                notice, cause["event_id"], cause["event_type"], cause["correlation_id"], state["kind"], subject_id,
                due_on, Audience(due["audience"], committee, today, **audience),
                {k: v for k, v in facts.items() if k not in ("states",)})))
    return owed


def mark_reminded(state: dict, key: str, when: str) -> None:
    due = state["dues"].get(key)
    if due is not None and when not in due["reminded"]:
        due["reminded"].append(when)


def next_reminder_on(state: dict, settings: Settings = Settings()) -> date | None:
    """The first day a reminder of ``state`` may be owed (None: none left), so that a sweep
    reads only the subjects with one owed."""
    days = []
    for due in state["dues"].values():
        due_on = date.fromisoformat(due["due_on"])
        if due["notice"] == "meeting_report":
            candidates = {"overdue": due_on}
        else:
            candidates = {"soon": due_on - timedelta(days=settings.remind_before_days), "overdue": due_on + timedelta(days=1)}
        days += [d for when, d in candidates.items() if when not in due["reminded"]]
    return min(days, default=None)

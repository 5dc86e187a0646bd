"""The messages: what each notice says, in plain text and HTML from one pair of templates
(``templates/message.txt``, ``templates/message.html``), and a meeting's ``.ics``.

A message gives the Committee's name, says what happened or is due in a sentence or two, lists
the facts (dates and times in the Committee's time zone, with UTC beside them), and says why the
recipient is told (its role in the directory).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.contract.vocabulary import country_name, in_words, written
from shared.domain import committee_zone

COMMITTEE_NAMES = {  # as a sentence names them
    "ctc": "the Counter-Terrorism Committee",
    "1540": "the 1540 Committee",
}
ROLE_WORDS = {
    "delegation": "a Council delegation",
    "national_contact_point": "a national contact point",
    "organization_focal_point": "your organization's focal point",
    "donor_contact": "a contact of a registered donor",
    "secretariat": "the Committee's secretariat",
}

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                         keep_trailing_newline=True)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    attachments: list[dict]


def moment(value: str | None, committee: str) -> str:
    """``10 June 2026, 10:00 New York time (14:00 UTC)``."""
    if not value:
        return "-"
    at = datetime.fromisoformat(value)
    zone = committee_zone(committee)
    local = at.astimezone(zone)
    place = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{written(local.date())}, {local:%H:%M} {place} time ({at.astimezone(timezone.utc):%H:%M} UTC)"


def _meeting_line(f: dict) -> str:
    group = f" of {f['group']}" if f.get("group") else ""
    return f"{f.get('title', 'a meeting')}{group}"


def compose(notice: str, facts: dict, *, recipient: str, role: str, subject_id: str) -> Message:
    """The message of a notice to one recipient."""
    committee = facts.get("committee") or ""
    body = COMMITTEE_NAMES.get(committee, "the Committee")
    subject, lines, rows = _WORDING[notice](facts, body, committee)
    rows = [(label, value) for label, value in rows if value not in (None, "")]
    context = {"subject": subject, "lines": lines, "rows": rows, "recipient": recipient, "body": body,
               "why": ROLE_WORDS.get(role, role), "reference": subject_id}
    attachments = []
    if notice in ("meeting_announced", "meeting_moved", "meeting_postponed", "meeting_cancelled"):
        attachments.append(meeting_ics(notice, facts, subject_id))
    context["heading"] = _capital(body)
    return Message(f"{_capital(body)}: {subject}"[:300], _TEMPLATES.get_template("message.txt").render(context),
                   _TEMPLATES.get_template("message.html").render(context), attachments)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def meeting_ics(notice: str, facts: dict, subject_id: str) -> dict:
    """The meeting as one calendar entry (RFC 5545): METHOD:REQUEST, or CANCEL when it is
    cancelled; its UID is the meeting's (as in the published schedule), SEQUENCE its moves, so a
    calendar updates the entry it has."""
    cancel = notice == "meeting_cancelled"
    calendar = Calendar()
    calendar.add("prodid", "-//fieldwork//UN Security Council committees notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    entry = Event()
    entry.add("uid", f"{subject_id}@fieldwork")
    entry.add("sequence", int(facts.get("sequence") or 0))
    entry.add("dtstamp", datetime(2000, 1, 1, tzinfo=timezone.utc) if not facts.get("stamp")
              else datetime.fromisoformat(facts["stamp"]))
    entry.add("dtstart", datetime.fromisoformat(facts["starts_at"]).astimezone(timezone.utc))
    entry.add("dtend", datetime.fromisoformat(facts["ends_at"]).astimezone(timezone.utc))
    entry.add("summary", _meeting_line(facts))
    if facts.get("location"):
        entry.add("location", facts["location"])
    entry.add("status", "CANCELLED" if cancel else "TENTATIVE" if notice == "meeting_postponed" else "CONFIRMED")
    calendar.add_component(entry)
    method = "CANCEL" if cancel else "REQUEST"
    return {"filename": "meeting.ics", "content_type": f"text/calendar; method={method}",
            "content": calendar.to_ical().decode()}


def _meeting_rows(f: dict, committee: str) -> list[tuple[str, str]]:
    return [("Meeting", f.get("title")), ("Of", f.get("group")), ("Kind", in_words(f.get("meeting_kind") or "")),
            ("Starts", moment(f.get("starts_at"), committee)), ("Ends", moment(f.get("ends_at"), committee)),
            ("Where", f.get("location"))]


def _announced(f, body, c):
    lines = [f"{_capital(body)} announces a meeting, open to all Council delegations: {_meeting_line(f)}.",
             "The calendar entry is attached."]
    if f.get("notice_text"):
        lines.append(f["notice_text"])
    return f"meeting announced, {_meeting_line(f)}, {written((f.get('starts_at') or '')[:10])}", lines, _meeting_rows(f, c)


def _moved(f, body, c):
    return (f"meeting moved, {_meeting_line(f)}, now {written((f.get('starts_at') or '')[:10])}",
            [f"The meeting {_meeting_line(f)} has new dates; the attached calendar entry replaces the earlier one.",
             f"Reason: {f.get('reason', '')}"], _meeting_rows(f, c))


def _postponed(f, body, c):
    return (f"meeting postponed, {_meeting_line(f)}",
            [f"The meeting {_meeting_line(f)} is postponed; its new dates will be announced.",
             f"Reason: {f.get('reason', '')}"], _meeting_rows(f, c))


def _cancelled(f, body, c):
    return (f"meeting cancelled, {_meeting_line(f)}",
            [f"The meeting {_meeting_line(f)} is cancelled; the attached entry removes it from your calendar.",
             f"Reason: {f.get('reason', '')}"], _meeting_rows(f, c))


def _circulated(f, body, c):
    name = f.get("document_title", "a document")
    symbol = f" ({f['symbol']})" if f.get("symbol") else ""
    return (f"document circulated for {_meeting_line(f)}: {name}{symbol}",
            [f"A document is circulated to all delegations for the meeting {_meeting_line(f)}: {name}{symbol}."],
            [("Document", name), ("Symbol", f.get("symbol")), *_meeting_rows(f, c)])


def _communicated(f, body, c):
    kind = in_words(f.get("outcome_kind") or "outcome")
    return (f"{kind} approved by the Committee ({f.get('outcome_id')})",
            [f"{_capital(body)} communicates to national contact points a {kind} it approved, from the meeting "
             f"{_meeting_line(f)}:", f.get("outcome_text") or "-"],
            [("Outcome", f.get("outcome_id")), ("Meeting", f.get("title")), ("Of", f.get("group"))])


def _state(f) -> str:
    return country_name(f["member_state"]) if f.get("member_state") else "the State"


def _info_requested(f, body, c):
    return (f"pre-visit information requested for the visit to {_state(f)}, due {written(f.get('due_on'))}",
            [f"{_capital(body)} invites your organization to the visit to {_state(f)} and asks for its pre-visit "
             f"information by {written(f.get('due_on'))}."],
            [("Visit to", _state(f)), ("Organization", f.get("organization")), ("Due", written(f.get("due_on")))])


def _share(f, body, c):
    return (f"needs assessment of the visit to {_state(f)} shared with {f.get('donor_name')}",
            [f"With the consent of {_state(f)}, {body} shares with {f.get('donor_name')} the needs "
             f"assessment of its visit ({f.get('needs')} need(s)), for assistance."],
            [("Visit to", _state(f)), ("Donor", f.get("donor_name")), ("Needs shared", str(f.get("needs", "")))])


def _revoked(f, body, c):
    lines = [f"{_state(f)} withdrew its consent: the needs assessment of the visit shared with "
             f"{f.get('donor_name')} is no longer shared. Please do not use it further."]
    if f.get("reason"):
        lines.append(f"Reason given: {f['reason']}")
    return (f"needs assessment of the visit to {_state(f)} no longer shared", lines,
            [("Visit to", _state(f)), ("Donor", f.get("donor_name"))])


def _reminder(what: str, soon: bool):
    def wording(f, body, c):
        due = written(f.get("due_on"))
        subject = f"reminder: {what(f)} {'due ' + due if soon else 'overdue since ' + due}"
        line = (f"A reminder from {body}: {what(f)} is due on {due}." if soon else
                f"A reminder from {body}: {what(f)} was due on {due} and has not been recorded as received.")
        rows = [("Due", due), ("Visit to", _state(f) if f.get("member_state") else None),
                ("Organization", f.get("organization")), ("Meeting", f.get("title")),
                ("Action item", f.get("outcome_id")), ("Owner", f.get("owner")), ("Text", f.get("text"))]
        return subject, [line], rows
    return wording


def _report_overdue(f, body, c):
    held = written(f.get("held_on"))
    return (f"reminder: meeting of {held} not yet reported to the Committee",
            [f"The meeting {_meeting_line(f)}, held on {held}, has not yet been reported to the Committee; "
             "every group reports to the Committee after each meeting."],
            [("Meeting", f.get("title")), ("Of", f.get("group")), ("Held", held)])


_WHAT = {
    "consent": lambda f: f"the consent of {_state(f)} to the visit",
    "pre_visit_info": lambda f: f"the pre-visit information of {f.get('organization')} for the visit to {_state(f)}",
    "observations": lambda f: f"the factual observations of {_state(f)} on the visit report",
    "response": lambda f: f"the response of {_state(f)} on implementing the visit report",
    "action_item": lambda f: f"the action item {f.get('outcome_id')} of {_meeting_line(f)}",
}
_WORDING = {
    "meeting_announced": _announced, "meeting_moved": _moved, "meeting_postponed": _postponed,
    "meeting_cancelled": _cancelled, "document_circulated": _circulated, "outcome_communicated": _communicated,
    "pre_visit_info_requested": _info_requested, "share_made": _share, "share_revoked": _revoked,
    "meeting_report_overdue": _report_overdue,
    **{f"{k}_due_soon": _reminder(v, True) for k, v in _WHAT.items()},
    **{f"{k}_overdue": _reminder(v, False) for k, v in _WHAT.items()},
}

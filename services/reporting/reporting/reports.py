"""The semi-annual and annual reports (DOMAIN.md section 3), computed from projection records.

``build_report`` is a pure function of the records, the period and the provenance: the same
events give the same report, byte for byte once rendered. Figures are about what *happened*
in the period (the events' ``occurred_at``); durations come from the events (consent asked to
answered, a meeting held to its report to the Committee).
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from shared.contract.vocabulary import (
    COMMITTEE_DECISIONS, OUTCOME_KINDS, MEETING_KIND_RULES, PRIORITIES, RECOMMENDATION_STATUSES, MeetingKindRules, country_name,
)
from shared.domain import circulated_late, document_notice, hours_before
from reporting.document import title_of

# An as-of report's basis: "recorded", as the record stood (what the secretariat knew then);
# "occurred", as things were.
BASES = ("recorded", "occurred")

KINDS = ("semi-annual", "annual")


@dataclass(frozen=True)
class Period:
    """The days from ``start`` to ``end`` (both included) in the time zone ``zone`` (IANA; the
    Committee's: New York unless set). A moment is in the period when it falls on one of those
    days there: ``2025-07-01T00:30:00+00:00`` is 30 June in New York, in the first half-year.
    Moments are ISO 8601 strings in UTC, as on the wire (compared as strings with the period's
    bounds in UTC); a date alone (``2025-06-30``) is a day already."""

    start: date
    end: date  # inclusive
    zone: str = "UTC"
    # The moment an as-of report stands at (ISO 8601 with offset), else None: what is open "at
    # the period's end" is judged then if it comes first (``judged_on``, ``past_due``).
    as_of: str | None = None

    def __post_init__(self) -> None:
        tz = ZoneInfo(self.zone)
        first = datetime.combine(self.start, time(), tz).astimezone(timezone.utc)
        after = datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(timezone.utc)
        object.__setattr__(self, "_bounds", (first.isoformat(), after.isoformat(),
                                             self.start.isoformat(), self.end.isoformat()))
        as_of_day = datetime.fromisoformat(self.as_of).astimezone(tz).date() if self.as_of else None
        cut = as_of_day is not None and as_of_day <= self.end
        object.__setattr__(self, "judged_on", as_of_day if cut else self.end)
        object.__setattr__(self, "_cut", cut)

    # judged_on: the day on which the report judges what is open "at the period's end" (what
    # is owed, overdue, lacking, and the days counted to it): the period's last day, or the
    # as-of day when the as-of moment comes before the period's end (an as-of report cannot
    # know the end of a period still to come, nor count a due date not yet reached as past).
    judged_on: date = field(init=False, repr=False, compare=False)

    def past_due(self, due_on: str) -> bool:
        """A due date (``YYYY-MM-DD``) is past when the report judges the period's end: on or
        before its last day (that day is over at the end), or before the as-of day (the as-of
        moment leaves the rest of its day to the one who owes)."""
        return due_on < self.judged_on.isoformat() or (due_on == self.judged_on.isoformat() and not self._cut)

    def __contains__(self, moment: str | None) -> bool:
        return moment is not None and not self.before_start(moment) and self.by_end(moment)

    def by_end(self, moment: str | None) -> bool:
        """``moment`` is at or before the period's end (its last day included)."""
        if moment is None:
            return False
        return moment <= self._bounds[3] if len(moment) == 10 else moment < self._bounds[1]

    def before_start(self, moment: str) -> bool:
        """``moment`` is before the period's first day."""
        return moment < self._bounds[2] if len(moment) == 10 else moment < self._bounds[0]

    def day(self, moment: str) -> str:
        """The day ``moment`` falls on in the period's time zone (``YYYY-MM-DD``)."""
        if len(moment) == 10 or self.zone == "UTC":
            return moment[:10]
        return datetime.fromisoformat(moment).astimezone(ZoneInfo(self.zone)).date().isoformat()

    def indexed_days(self) -> tuple[str, str]:
        """The first and last UTC days a moment of the period can fall on (the day index is by
        UTC day): a day either side of its own, unless it is UTC's."""
        if self.zone == "UTC":
            return self._bounds[2], self._bounds[3]
        return (self.start - timedelta(days=1)).isoformat(), (self.end + timedelta(days=1)).isoformat()

    def closes_after(self) -> str:
        """The UTC day after which a span that closes (a day of ``calendar_of``, in UTC) may
        still be open at the period's end in its zone: its last day, or the day before it
        outside UTC (a close on 10 January UTC is 11 January in Kiribati)."""
        return self._bounds[3] if self.zone == "UTC" else (self.end - timedelta(days=1)).isoformat()

    def previous_year(self) -> Period:
        """The same period a year earlier (ending the day before the shifted day after its
        end, so that a year ending 28 February 2025 is compared with one ending 29 February)."""
        return Period(_shift_year(self.start, -1), _shift_year(self.end + timedelta(days=1), -1) - timedelta(days=1),
                      self.zone, self.as_of)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "time_zone": self.zone}


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def semi_annual(year: int, half: int) -> Period:
    """1 January–30 June (half 1) or 1 July–31 December (half 2)."""
    if half not in (1, 2):
        raise ValueError("half is 1 or 2")
    return Period(date(year, 1, 1), date(year, 6, 30)) if half == 1 else Period(date(year, 7, 1), date(year, 12, 31))


def annual(year: int, starts_in_month: int = 1) -> Period:
    """A calendar year, or a programme year starting in another month (1540: June)."""
    start = date(year, starts_in_month, 1)
    return Period(start, _shift_year(start, 1) - timedelta(days=1))


def _days(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


def _notice(circulated_at: str, starts_at: str, notice: timedelta) -> tuple[float, bool]:
    """Hours from a document's circulation to the meeting's start as it finally was (a meeting
    that moved later gave its documents more notice; negative: after it started), and whether
    that was short of ``notice``: the meetings service's own reading
    (``shared.domain.circulated_late``)."""
    circulated, starts = datetime.fromisoformat(circulated_at), datetime.fromisoformat(starts_at)
    return hours_before(circulated, starts), circulated_late(circulated, starts, notice)


def _summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "mean_days": None, "median_days": None, "max_days": None}
    return {
        "count": len(values),
        "mean_days": round(statistics.fmean(values), 1),
        "median_days": round(statistics.median(values), 1),
        "max_days": round(max(values), 1),
    }


def _by_kind(records: dict[str, dict], kind: str) -> list[dict]:
    return sorted((r for r in records.values() if r["kind"] == kind), key=lambda r: r["id"])


# -- what a record can contribute, and when ----------------------------------------------
#
# A report reads only the records that can change it: those with a moment in its period (a day
# index), those open across its end (spans: consent still pending, pre-visit information still
# overdue), and every working group (a group has a row even in a quiet period). ``calendar_of``
# lists those days and spans from exactly the conditions the sections below test; a record
# with neither is left out of a report without changing it. Donors never enter a report.


def _day(moment: str | None) -> str | None:
    return moment[:10] if moment else None


def _earliest(*days: str | None) -> str | None:
    given = [d for d in days if d]
    return min(given) if given else None


def calendar_of(record: dict) -> tuple[set[str], list[tuple[str, str | None, str | None]]]:
    """(days, spans) of one record: each day ``YYYY-MM-DD`` on which something that a report
    counts or lists happened, and each span (opens, closes, start_by) over which the record
    counts at a period's end E whatever happened in the period: it counts when
    ``opens <= E < closes`` (``closes`` None: still open) and, with ``start_by``, when the
    period starts on or before that day."""
    days: set[str] = set()
    spans: list[tuple[str, str | None, str | None]] = []
    if record["kind"] == "visit":
        consent = record["consent"]
        moments = [record["started_at"], record["proposed_at"] if consent["by_invitation"] else None]
        moments += [x for c in _rounds(consent) for x in (c["requested_at"], c["decided_at"], c["withdrawn_at"])]
        for org in record["organizations"].values():
            moments += [org.get("invited_at"), org.get("info_requested_at"), org.get("info_received_at")]
        moments += [a["recorded_at"] for a in record["needs_assessments"]]
        moments += [s["at"] for s in record["shares"]] + [s["revoked_at"] for s in record["shares"]]
        moments += [c["at"] for c in record["sharing_consent"]]
        moments += [f["at"] for f in record["follow_ups"]]
        report, answers, recommendations = record["report"], record["state_answers"], record["recommendations"]
        if report["adopted_at"]:  # the visit's report and what followed it (most records have none)
            moments += [report["adopted_at"], report["transmitted_at"], record["follow_up_ended_at"]]
            for answer in answers.values():
                moments += [answer["received_at"], *answer["reminded_at"]]
            moments += [h["at"] for x in recommendations.values() for h in x["history"]]
        elif record["follow_up_ended_at"]:
            moments.append(record["follow_up_ended_at"])
        days.update(m[:10] for m in moments if m)
        if consent["requested_at"]:  # pending at the period's end
            spans.append((consent["requested_at"][:10],
                          _earliest(_day(consent["decided_at"]), _day(record["cancelled_at"])), None))
        ended = _earliest(_day(record["cancelled_at"]),
                          _day(consent["decided_at"]) if consent["outcome"] == "declined" else None)
        for org in record["organizations"].values():  # information overdue at the period's end
            if org.get("info_requested_at") and org.get("info_due_on"):
                spans.append((max(org["info_requested_at"][:10], org["info_due_on"]),
                              _earliest(_day(org.get("info_received_at")), ended), _day(record["completed_at"])))
        followed_until = _day(record["follow_up_ended_at"])
        for answer in answers.values():  # owed by the State at the period's end
            spans.append((answer["due_on"], _earliest(_day(answer["received_at"]), followed_until), None))
        if report["adopted_at"]:  # its recommendations, followed until the follow-up ends
            spans.append((report["adopted_at"][:10], followed_until, None))
        if record["completed_at"]:  # lacking follow-up until the first step of it
            follow_ups = record["follow_ups"]
            spans.append((record["completed_at"][:10], _earliest(
                follow_ups[0]["at"][:10] if follow_ups else None, _day(report["transmitted_at"]), followed_until),
                None))
        spans = _needed(spans, days)
    elif record["kind"] == "meeting":
        moments = [record["held_at"], record["reported_at"], record["cancelled_at"],
                   *(o["at"] for o in record["open_meetings"])]
        for outcome in record["outcomes"].values():
            moments += [outcome.get("logged_at"), outcome.get("approved_at"), outcome.get("decided_at"),
                        outcome.get("communicated_at"), *(h["at"] for h in outcome.get("status_history", []))]
            if outcome.get("outcome_kind") == "action_item" and outcome.get("due_on"):  # open past its due date
                history = outcome.get("status_history", [])
                closed = _day(history[-1]["at"]) if history and history[-1]["status"] != "open" else None
                spans.append((max(outcome["due_on"], _day(outcome["logged_at"]) or ""), closed, None))
        if _owes_a_report(record):  # lacking its report to the Committee at the period's end
            spans.append((record["held_at"][:10], _day(record["reported_at"]), None))
        days.update(m[:10] for m in moments if m)
        spans = _needed(spans, days)
    elif record["kind"] == "notification":  # found by a report of the days it is about and was recorded
        days.update(d[:10] for d in (record["regarding_on"], record["recorded_at"]) if d)
    return days, spans


def _needed(spans: list[tuple[str, str | None, str | None]], days: set[str]) -> list[tuple]:
    """The spans the day index needs: not one never open at any end (it closes when it
    opens), nor one between the record's first and last days, closing on one of them: a
    period whose end it is open at overlaps those days, which find the record already."""
    first, last = (min(days), max(days)) if days else ("", "")
    return [s for s in spans if s[1] is None or (s[1] > s[0] and not (first <= s[0] and s[1] <= last))]


# -- visits -------------------------------------------------------------------------------


def _latest_assessment_in(visit: dict, period: Period) -> dict:
    """The latest version of the visit's needs assessment recorded in the period (its
    ``recorded_at`` and ``needs``; no needs when there is none)."""
    in_period = [a for a in visit["needs_assessments"] if a["recorded_at"] in period]
    return in_period[-1] if in_period else {"recorded_at": "", "needs": []}


def _interests_at(donor: dict, moment: str) -> list[str]:
    """The thematic areas a donor was interested in at ``moment`` (none before it registered)."""
    held = [i["areas"] for i in donor["interests"] if i["from"] <= moment]
    return held[-1] if held else []


def _interested_donors_not_shared_with(visit: dict, decision: dict, donors: list[dict]) -> int:
    """The registered donors a State's decline or withdrawal left without the assessment: those
    interested then in a thematic area of a need of the assessment as it stood (what matching
    would have proposed), but for those whose share that very withdrawal revoked (counted as
    revoked). Donors who would have matched, not shares: nothing says they would have had it."""
    at = decision["at"]
    recorded = [a for a in visit["needs_assessments"] if a["recorded_at"] <= at]
    if not recorded:
        return 0
    areas = {n["thematic_area"] for n in recorded[-1]["needs"]}
    revoked_now = {s["donor_id"] for s in visit["shares"] if s["revoked_at"] == at}
    return sum(
        1 for d in donors
        if d["id"] not in revoked_now and areas & set(_interests_at(d, at))
    )


def _conducted(visits: list[dict], period: Period) -> list[dict]:
    """The visits conducted in the period: started in it; a visit cancelled while in progress
    was not conducted."""
    return sorted(
        (v for v in visits if v["started_at"] in period and not (v["cancelled_at"] and not v["completed_at"])),
        key=lambda v: (v["started_at"], v["member_state"] or "", v["id"]),
    )


def _rounds(consent: dict) -> list[dict]:
    """Each request for a State's consent and its answer: those before a withdrawal (the State
    asked again), then the one in force."""
    return [*consent.get("earlier", ()), consent]


def _consent(visits: list[dict], period: Period) -> dict[str, int]:
    """The States' consent in the period, each request and answer counted in the period it fell
    in (a State asked again after withdrawing its consent is asked twice): asked, granted on
    request, declined, and the visits proposed at a State's invitation (an invitation counts as
    consent: granted is both ways)."""
    rounds = [c for v in visits for c in _rounds(v["consent"])]
    decided = [c["outcome"] for c in rounds if c["decided_at"] in period]
    on_request = decided.count("granted")
    by_invitation = sum(v["consent"]["by_invitation"] and v["proposed_at"] in period for v in visits)
    return {"requested": sum(c["requested_at"] in period for c in rounds),
            "granted": on_request + by_invitation, "granted_on_request": on_request, "by_invitation": by_invitation,
            "declined": decided.count("declined")}


def _visits_section(records: dict[str, dict], period: Period) -> dict:
    visits = _by_kind(records, "visit")
    conducted = _conducted(visits, period)
    consent = _consent(visits, period)
    end = period.end.isoformat()
    by_end = period.by_end

    def ended_by_end(v: dict) -> bool:
        return by_end(v["cancelled_at"]) or (v["consent"]["outcome"] == "declined" and by_end(v["consent"]["decided_at"]))

    pending = [
        v for v in visits
        if by_end(v["consent"]["requested_at"]) and not by_end(v["consent"]["decided_at"]) and not by_end(v["cancelled_at"])
    ]
    organizations: dict[str, Counter] = defaultdict(Counter)
    for v in visits:
        for name, org in v["organizations"].items():
            o = organizations[name]
            if org.get("invited_at") in period:
                o["invited"] += 1
            if org.get("info_requested_at") in period:
                o["asked"] += 1
            if org.get("info_received_at") in period:
                o["received"] += 1
                o["late"] += bool(org.get("late"))
                o["after_due_date"] += bool(org.get("after_due_date"))
            # Information never given is reported up to the period in which the visit took
            # place; not in every later period, nor for a visit called off.
            if (by_end(org.get("info_requested_at")) and not by_end(org.get("info_received_at"))
                    and org.get("info_due_on") and period.past_due(org["info_due_on"]) and not ended_by_end(v)
                    and not (v["completed_at"] and period.before_start(v["completed_at"]))):
                o["overdue_at_end"] += 1
    needs_by_area: dict[str, Counter] = defaultdict(Counter)
    assessments = 0
    latest_of = {v["id"]: _latest_assessment_in(v, period) for v in visits}
    for v in visits:
        latest = latest_of[v["id"]]["needs"]  # an assessment names at least one need
        assessments += bool(latest)
        for need in latest:
            needs_by_area[need["thematic_area"]][need["priority"]] += 1
    shares = [(v, s) for v in visits for s in v["shares"] if s["at"] in period]
    by_donor: dict[str, dict] = {}
    for v, s in shares:
        d = by_donor.setdefault(s["donor_id"], {"donor": s["donor_name"], "donor_id": s["donor_id"],
                                                "shares": 0, "visits": set(), "needs": 0})
        d["shares"] += 1
        d["visits"].add(v["member_state"])
        d["needs"] += len(s["need_ids"])
    sharing_decisions = Counter(
        c["decision"] for v in visits for c in v["sharing_consent"] if c["at"] in period
    )
    donors = _by_kind(records, "donor")
    revoked = sum(s["revoked_at"] in period for v in visits for s in v["shares"])
    not_shared_with = sum(
        _interested_donors_not_shared_with(v, c, donors) for v in visits for c in v["sharing_consent"]
        if c["at"] in period and c["decision"] in ("declined", "withdrawn")
    )
    interested_areas = {a for d in donors for a in _interests_at(d, end + "T23:59:59.999999+00:00")}
    assessed = sorted(((latest_of[v["id"]], v) for v in visits),
                      key=lambda x: (x[0]["recorded_at"], x[1]["member_state"] or "", x[1]["id"]))
    unmatched = [
        {"visit_id": v["id"], "member_state": v["member_state"], "need_id": need["need_id"],
         "thematic_area": need["thematic_area"], "priority": need["priority"]}
        for assessment, v in assessed
        for need in assessment["needs"]
        if need["thematic_area"] not in interested_areas
    ]
    return {
        "conducted": [
            {
                "visit_id": v["id"], "member_state": v["member_state"], "country": country_name(v["member_state"] or ""),
                "committee": v["committee"], "started_on": period.day(v["started_at"]),
                "completed_on": period.day(v["completed_at"]) if v["completed_at"] else None,
                "organizations": sorted(v["organizations"]),
                "organizations_taking_part": sorted(v["organizations_taking_part"]),
                "team_size": len(v["team"]),
            }
            for v in conducted
        ],
        "conducted_by_committee": dict(sorted(Counter(v["committee"] for v in conducted).items())),
        "consent": {
            **consent,
            "withdrawn": sum(c["withdrawn_at"] in period for v in visits for c in _rounds(v["consent"])),
            "pending_at_end": len(pending),
            "time_to_answer": _summary(
                [_days(c["requested_at"], c["decided_at"]) for v in visits for c in _rounds(v["consent"])
                 if c["decided_at"] in period and c["requested_at"]]
            ),
        },
        "pre_visit_information": [
            {"organization": name, **{k: counts[k] for k in ("invited", "asked", "received", "late", "after_due_date", "overdue_at_end")}}
            for name, counts in sorted(organizations.items()) if any(counts.values())
        ],
        "needs": {
            "assessments": assessments,
            "by_area": {
                area: {**{p: counts[p] for p in PRIORITIES}, "total": sum(counts.values())}
                for area, counts in sorted(needs_by_area.items())
            },
            "by_priority": {p: sum(c[p] for c in needs_by_area.values()) for p in PRIORITIES},
        },
        "sharing": {
            "consent": {k: sharing_decisions[k] for k in ("granted", "declined", "withdrawn")},
            "shares": len(shares),
            "interested_donors_not_shared_with": not_shared_with,
            "revoked": revoked,
            "needs_without_interested_donor": unmatched,
            "by_donor": [
                {**d, "visits": sorted(d["visits"])} for d in sorted(by_donor.values(), key=lambda d: (d["donor"], d["donor_id"]))
            ],
        },
        "follow_up": [  # by date (a sort keeps a visit's follow-ups of one moment as recorded)
            {"visit_id": v["id"], "member_state": v["member_state"], "on": period.day(f["at"]), "summary": f["summary"]}
            for v, f in sorted(((v, f) for v in visits for f in v["follow_ups"] if f["at"] in period),
                               key=lambda x: (x[1]["at"], x[0]["member_state"] or "", x[0]["id"]))
        ],
        "lacking_follow_up": _lacking_follow_up(visits, period),
        "state_answers": _state_answers(visits, period),
        "recommendations": _recommendations(visits, period),
    }


def _lacking_follow_up(visits: list[dict], period: Period) -> list[dict]:
    """The visits conducted by the period's end, whenever (the backlog), that had no follow-up
    by then: none recorded, no report transmitted to the State, the follow-up not ended."""
    by_end = period.by_end
    lacking = [v for v in visits
               if by_end(v["completed_at"]) and not (v["cancelled_at"] and by_end(v["cancelled_at"]))
               and not any(by_end(f["at"]) for f in v["follow_ups"])
               and not by_end(v["report"]["transmitted_at"]) and not by_end(v["follow_up_ended_at"])]
    return [{"visit_id": v["id"], "member_state": v["member_state"], "country": country_name(v["member_state"] or ""),
             "committee": v["committee"], "completed_on": period.day(v["completed_at"]),
             "days_since": (period.judged_on - date.fromisoformat(period.day(v["completed_at"]))).days}
            for v in sorted(lacking, key=lambda v: (v["completed_at"], v["member_state"] or "", v["id"]))]


def _state_answers(visits: list[dict], period: Period) -> dict:
    """What the States answered on the visit reports transmitted to them: received in the
    period (and how many late), reminders sent, and each answer still owed at the period's end
    past its due date, whenever it fell due (the backlog), until the visit's follow-up ended."""
    end, by_end = period.judged_on.isoformat(), period.by_end
    answers = [(v, name, a) for v in visits for name, a in v["state_answers"].items()]
    received = [a for _, _, a in answers if a["received_at"] in period]
    outstanding = sorted(
        ({"visit_id": v["id"], "member_state": v["member_state"], "country": country_name(v["member_state"] or ""),
          "answer": name, "due_on": a["due_on"], "days_overdue": (period.judged_on - date.fromisoformat(a["due_on"])).days}
         for v, name, a in answers
         if a["due_on"] < end and not by_end(a["received_at"]) and not by_end(v["follow_up_ended_at"])),
        key=lambda x: (x["due_on"], x["member_state"] or "", x["answer"], x["visit_id"]))
    return {
        "received": len(received),
        "received_late": sum(bool(a["days_late"]) for a in received),
        "reminders": sum(at in period for _, _, a in answers for at in a["reminded_at"]),
        "outstanding_at_end": outstanding,
    }


def _status_at(history: list[dict], by_end, before: str) -> str:
    """The status a history of status changes (``status``, ``at``) held at the period's end:
    the latest by then, else ``before`` (what it was before any change)."""
    held = [h["status"] for h in history if by_end(h["at"])]
    return held[-1] if held else before


def _recommendations(visits: list[dict], period: Period) -> dict:
    """The recommendations of the reports the Committee adopted by the period's end, as they
    stood then, for visits whose follow-up had not ended before the period: by status, and by
    thematic area and status; how many changed status in the period; and those with a due date
    not implemented by the period's end past it, whenever due (until the follow-up ends)."""
    by_end = period.by_end
    followed = [v for v in visits if by_end(v["report"]["adopted_at"])
                and not (v["follow_up_ended_at"] and period.before_start(v["follow_up_ended_at"]))]
    by_area: dict[str, Counter] = defaultdict(Counter)
    for v in followed:
        for x in v["recommendations"].values():
            by_area[x["thematic_area"] or "unknown"][_status_at(x["history"], by_end, "not_started")] += 1
    return {
        "by_status": {s: sum(c[s] for c in by_area.values()) for s in RECOMMENDATION_STATUSES},
        "by_area": {area: {**{s: counts[s] for s in RECOMMENDATION_STATUSES}, "total": sum(counts.values())}
                    for area, counts in sorted(by_area.items())},
        "status_changes": sum(h["at"] in period for v in visits for x in v["recommendations"].values()
                              for h in x["history"]),
        "overdue_at_end": sorted(
            ({"visit_id": v["id"], "member_state": v["member_state"], "recommendation_id": rid,
              "thematic_area": x["thematic_area"], "due_on": x["due_on"],
              "status": _status_at(x["history"], by_end, "not_started"),
              "days_overdue": (period.judged_on - date.fromisoformat(x["due_on"])).days}
             for v in followed if not by_end(v["follow_up_ended_at"])
             for rid, x in v["recommendations"].items()
             if x.get("due_on") and x["due_on"] < period.judged_on.isoformat()
             and _status_at(x["history"], by_end, "not_started") in ("not_started", "in_progress")),
            key=lambda r: (r["due_on"], r["member_state"] or "", r["recommendation_id"])),
    }


# -- meetings -----------------------------------------------------------------------------


def _kind_rules(meeting: dict) -> MeetingKindRules:
    """What the meeting's kind owes (a meeting seen without its scheduling: a working group's)."""
    return MEETING_KIND_RULES.get(meeting["meeting_kind"] or "working_group", MEETING_KIND_RULES["working_group"])


def _logged(meetings: list[dict], period: Period) -> list[dict]:
    """The outcomes (decisions, recommendations, action items) logged in the period."""
    return [o for m in meetings for o in m["outcomes"].values()
            if o.get("logged_at") in period and o.get("outcome_kind") in OUTCOME_KINDS]


# A meeting announced less than this many days before it begins is counted as announced at
# short notice (``announcement_notice.short_notice``). No rule of the Committees sets a notice
# for announcements (the 1540 programme of work says only that "all working group meetings will
# be open to and announced to all Council delegations"); a week is the reports' own yardstick,
# stated in every report beside the count (``short_notice_days``).
SHORT_NOTICE_DAYS = 7


def _delegations_told(records: dict[str, dict]) -> dict[tuple[str, str], list[dict]]:
    """The notifications that told the delegations of a meeting's announcement
    (services/notifications), by (meeting id, the id of the ``meeting_announced`` that caused them)."""
    told: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for n in _by_kind(records, "notification"):
        if n["notice"] == "meeting_announced" and n["role"] == "delegation" and n["member_state"]:
            told[(n["subject_id"], n["cause_event_id"])].append(n)
    return told


def _tenths(value: float) -> float:
    """Days to 0.1 (an hour after the start is 0.0 days' notice, never -0.0)."""
    return round(value, 1) + 0.0


def _announced(meeting: dict) -> bool:
    """Announced for its dates (a meeting seen without its scheduling has none to count from)."""
    return bool(meeting["announced_at"] and meeting["starts_at"])


def _announcement(meeting: dict, told: list[dict], period: Period) -> dict:
    """A meeting's announcement in force: its notice in days (announced to the start, as the
    meeting finally was), and the delegations its notifications told: each State with a
    notification recorded, delivered when one of its notifications (a delegation may have
    several addresses) was sent, else not delivered (failed, or still waiting to be sent when
    the report is built)."""
    states = {n["member_state"] for n in told}
    delivered = {n["member_state"] for n in told if n["status"] == "sent"}
    return {
        "meeting_id": meeting["id"], "meeting": meeting["title"],
        "announced_on": period.day(meeting["announced_at"]), "starts_on": period.day(meeting["starts_at"]),
        "notice_days": _tenths(_days(meeting["announced_at"], meeting["starts_at"])),
        "delegations_told": len(states), "delegations_delivered": len(delivered),
        "delegations_not_delivered": sorted(states - delivered),
        "every_delegation_notified": bool(states) and states == delivered,
    }


def _announcement_notice(held: list[dict]) -> dict:
    """The notice of the announcements of the meetings held in the period: mean and shortest
    (days, 0.1), and how many were announced at short notice (``SHORT_NOTICE_DAYS``)."""
    notice = [_days(m["announced_at"], m["starts_at"]) for m in held if _announced(m)]
    return {
        "count": len(notice),
        "mean_days": _tenths(statistics.fmean(notice)) if notice else None,
        "shortest_days": _tenths(min(notice)) if notice else None,
        "short_notice_days": SHORT_NOTICE_DAYS,
        "short_notice": sum(n < SHORT_NOTICE_DAYS for n in notice),
    }


def _meetings_section(records: dict[str, dict], period: Period) -> dict:
    groups = {g["id"]: g for g in _by_kind(records, "working_group")}
    meetings = _by_kind(records, "meeting")
    told = _delegations_told(records)
    rows, every_report, every_held = [], [], []
    for group_id in sorted({m["group_id"] for m in meetings if m["group_id"]} | set(groups),
                           key=lambda g: ((groups.get(g) or {}).get("name") or "", g)):
        mine = [m for m in meetings if m["group_id"] == group_id]
        held = sorted((m for m in mine if m["held_at"] in period), key=lambda m: (m["held_at"], m["id"]))
        every_held += held
        outcomes = Counter(o["outcome_kind"] for o in _logged(mine, period))
        reported = [m for m in mine if m["reported_at"] in period]
        to_report = [_days(m["held_at"], m["reported_at"]) for m in reported if m["held_at"]]
        every_report += to_report
        notice = document_notice((groups.get(group_id) or {}).get("committee"))
        late_documents = [
            {"meeting": m["title"], "document_id": d["document_id"], "hours_before_meeting": hours,
             "after_start": hours <= 0}
            for m in held for d in m["documents"]
            for hours, late in [_notice(d["circulated_at"], m["starts_at"], notice)] if late or hours <= 0
        ]
        announced_late = [
            {"meeting": m["title"], "hours_after_start": hours_before(datetime.fromisoformat(m["starts_at"]),
                                                                      datetime.fromisoformat(m["announced_at"]))}
            for m in held if m["announced_at"] and m["announced_at"] > m["starts_at"]
        ]
        row = {
            "group_id": group_id,
            "group": _group_name(groups, group_id),
            "meetings_held": len(held),
            "held": [{"meeting_id": m["id"], "title": m["title"], "held_on": period.day(m["held_at"]),
                      "outcomes": len(m["outcomes"]),
                      "attendance": {k: len(m["attendance"][k]) for k in ("delegations", "organizations", "experts")}}
                     for m in held],
            "outcomes_logged": {k: outcomes.get(k, 0) for k in ("decision", "recommendation", "action_item")},
            "outcomes_approved": sum(o.get("approved_at") in period for m in mine for o in m["outcomes"].values()),
            "reports_to_committee": len(reported),
            "time_to_report": _summary(to_report),
            "document_notice_hours": notice.total_seconds() / 3600,
            "documents_circulated": sum(len(m["documents"]) for m in held),
            "documents_circulated_late": late_documents,
            "announced_after_start": announced_late,
            "announcements": [_announcement(m, told.get((m["id"], m["announcement_id"]), []), period)
                              for m in held if _announced(m)],
            "meetings_without_documents": [m["title"] for m in held
                                           if not m["documents"] and _kind_rules(m).needs_documents],
            # judged at the end of the period, like what was pending then; only the kinds of
            # meeting reported to the Committee lack a report
            "meetings_lacking_report": [m["title"] for m in held if _owes_a_report(m)
                                        and not period.by_end(m["reported_at"])],
            "cancelled": sum(m["cancelled_at"] in period for m in mine),
        }
        if row["meetings_held"] or row["reports_to_committee"] or row["cancelled"] or group_id in groups:
            rows.append(row)
    return {
        "by_group": rows,
        "totals": {
            "meetings_held": sum(r["meetings_held"] for r in rows),
            "outcomes_logged": sum(sum(r["outcomes_logged"].values()) for r in rows),
            "reports_to_committee": sum(r["reports_to_committee"] for r in rows),
            "meetings_lacking_report": sum(len(r["meetings_lacking_report"]) for r in rows),
            "documents_circulated": sum(r["documents_circulated"] for r in rows),
            "documents_circulated_late": sum(len(r["documents_circulated_late"]) for r in rows),
            "documents_circulated_after_start": sum(d["after_start"] for r in rows for d in r["documents_circulated_late"]),
            "announced_after_start": sum(len(r["announced_after_start"]) for r in rows),
            "meetings_without_documents": sum(len(r["meetings_without_documents"]) for r in rows),
            "every_delegation_notified": sum(a["every_delegation_notified"] for r in rows for a in r["announcements"]),
        },
        "time_to_report": _summary(every_report),  # every group's reports in the period
        "announcement_notice": _announcement_notice(every_held),
        "backlog_lacking_report": _backlog_lacking_report(meetings, groups, period),
        "attendance": _attendance([m for m in meetings if m["held_at"] in period]),
        "decisions": _decisions(meetings, groups, period),
    }


def _owes_a_report(meeting: dict) -> bool:
    """A meeting held, of a kind reported to the Committee: it lacks a report until it has one."""
    return bool(meeting["held_at"]) and _kind_rules(meeting).reports_to_committee


def _backlog_lacking_report(meetings: list[dict], groups: dict[str, dict], period: Period) -> list[dict]:
    """The meetings held before the period, whenever, still not reported to the Committee at its
    end (those held in it are each group's ``meetings_lacking_report``), in the order held."""
    lacking = sorted((m for m in meetings if _owes_a_report(m) and period.before_start(m["held_at"])
                      and not period.by_end(m["reported_at"])), key=lambda m: (m["held_at"], m["id"]))
    return [{"group": _group_name(groups, m["group_id"]), "meeting_id": m["id"], "meeting": m["title"],
             "held_on": period.day(m["held_at"]),
             "days_since_held": (period.judged_on - date.fromisoformat(period.day(m["held_at"]))).days}
            for m in lacking]


def _group_name(groups: dict[str, dict], group_id: str | None) -> str:
    return (groups.get(group_id) or {}).get("name") or "(unknown group)"


def _attendance(held: list[dict]) -> dict:
    """Who attended the meetings held in the period: the delegations (how many meetings each
    attended, most first), the organizations, and the mean number of delegations a meeting."""
    delegations = Counter(d for m in held for d in m["attendance"]["delegations"])
    organizations = Counter(o for m in held for o in m["attendance"]["organizations"])
    return {
        "delegations": [{"member_state": d, "country": country_name(d), "meetings": n}
                        for d, n in sorted(delegations.items(), key=lambda x: (-x[1], x[0]))],
        "organizations": [{"organization": o, "meetings": n}
                          for o, n in sorted(organizations.items(), key=lambda x: (-x[1], x[0]))],
        "mean_delegations_a_meeting": round(sum(delegations.values()) / len(held), 1) if held else 0.0,
    }


def _decisions(meetings: list[dict], groups: dict[str, dict], period: Period) -> dict:
    """The Committee's decisions on the outcomes in the period (each outcome with its text,
    as it now stands), the outcomes superseded by an amendment logged in the period, those
    communicated and to how many States, and the action items open past their due date at the
    period's end, whenever due (the backlog)."""
    end, by_end = period.judged_on.isoformat(), period.by_end

    def where(m: dict) -> dict:
        return {"group": _group_name(groups, m["group_id"]), "meeting": m["title"]}

    outcomes = [(m, oid, o) for m in meetings for oid, o in m["outcomes"].items()]
    decided = sorted(((m, oid, o) for m, oid, o in outcomes if o.get("decided_at") in period),
                     key=lambda x: (x[2]["decided_at"], x[0]["id"], x[1]))
    superseded = [(m, oid, o) for m, oid, o in outcomes if o.get("amends") and o.get("logged_at") in period]
    communicated = [o for _, _, o in outcomes if o.get("communicated_at") in period]
    overdue = sorted(
        ({**where(m), "outcome_id": oid, "owner": o.get("owner") or "", "due_on": o["due_on"],
          "days_overdue": (period.judged_on - date.fromisoformat(o["due_on"])).days}
         for m, oid, o in outcomes
         if o.get("outcome_kind") == "action_item" and o.get("due_on") and o["due_on"] < end
         and by_end(o.get("logged_at")) and _status_at(o.get("status_history", []), by_end, "open") == "open"
         and not (o.get("superseded_by") and by_end(m["outcomes"].get(o["superseded_by"], {}).get("logged_at")))),
        key=lambda x: (x["due_on"], x["group"], x["meeting"], x["outcome_id"]))
    by_decision = Counter(o["decision"] for _, _, o in decided)
    return {
        "by_decision": {**{d: by_decision[d] for d in ("approved", *COMMITTEE_DECISIONS)}, "superseded": len(superseded)},
        "outcomes": [{**where(m), "outcome_id": oid, "outcome_kind": o.get("outcome_kind"), "text": o.get("text"),
                      "decision": o["decision"], "decided_on": period.day(o["decided_at"])} for m, oid, o in decided],
        "communicated": len(communicated),
        "open_meetings": sum(o["at"] in period for m in meetings for o in m["open_meetings"]),
        "states_reached": len({state for o in communicated for state in o.get("communicated_to", [])}),
        "action_items_overdue": overdue,
    }


# -- the report ---------------------------------------------------------------------------


def _key_figures(report: dict) -> dict[str, int]:
    v, m = report["visits"], report["meetings"]
    return {
        "visits conducted": len(v["conducted"]),
        "consent requested": v["consent"]["requested"],
        "consent granted": v["consent"]["granted"],
        "consent granted at the State's invitation": v["consent"]["by_invitation"],
        "consent declined": v["consent"]["declined"],
        "pre-visit information received late": sum(o["late"] for o in v["pre_visit_information"]),
        "needs identified": sum(a["total"] for a in v["needs"]["by_area"].values()),
        "needs assessments shared": v["sharing"]["shares"],
        "meetings held": m["totals"]["meetings_held"],
        "outcomes logged": m["totals"]["outcomes_logged"],
        "reports to the Committee": m["totals"]["reports_to_committee"],
        "outcomes communicated": m["decisions"]["communicated"],
        "States reached by the outcomes communicated": m["decisions"]["states_reached"],
        "open meetings held": m["decisions"]["open_meetings"],
        "meetings held with every delegation notified": m["totals"]["every_delegation_notified"],
    }


# Whose report: one Committee's, or both together (only when asked, and labelled so).
REPORT_COMMITTEES = ("ctc", "1540", "both")


def for_committee(records: dict[str, dict], committee: str) -> dict[str, dict]:
    """The records of one Committee's work: its visits, its working groups, their meetings, its
    membership; the donors (a registry both Committees share: what they received comes from the
    Committee's visits). ``both``: every record."""
    if committee == "both":
        return records
    groups = {ident for ident, r in records.items() if r["kind"] == "working_group" and r["committee"] == committee}

    def mine(record: dict) -> bool:
        if record["kind"] == "meeting":
            return record["group_id"] in groups
        return record["kind"] in ("donor", "organization") or record.get("committee") == committee

    return {ident: r for ident, r in records.items() if mine(r)}


def build_report(records: dict[str, dict], kind: str, period: Period, provenance: dict,
                 committee: str = "both", issued_on: date | None = None, symbol: str | None = None) -> dict:
    """The report of ``kind`` for ``period`` of ``committee``'s work (or both Committees'
    together) from projection ``records``; ``provenance`` says what they were built from (as
    of, basis, events, stream position, events hash); ``issued_on`` and ``symbol`` are the date
    of issue and the symbol the secretariat gives the document (none: left to fill in)."""
    if kind not in KINDS:
        raise ValueError(f"kind is one of {KINDS}")
    if committee not in REPORT_COMMITTEES:
        raise ValueError(f"committee is one of {REPORT_COMMITTEES}")
    records = for_committee(records, committee)
    if provenance.get("as_of"):  # what is open at the period's end is judged at the as-of moment if earlier
        period = replace(period, as_of=provenance["as_of"])
    report = {
        "report": {
            "kind": kind,
            "committee": committee,
            "title": title_of(kind, committee, period.as_dict(), provenance.get("as_of"), provenance.get("basis")),
            "period": period.as_dict(),
            "issued_on": issued_on.isoformat() if issued_on else None,
            "symbol": symbol,
        },
        "visits": _visits_section(records, period),
        "meetings": _meetings_section(records, period),
    }
    report["key_figures"] = _key_figures(report)
    if kind == "annual":
        report["trends"] = _trends(records, period, report)
    report["provenance"] = {"period": period.as_dict(), **provenance}
    return report


def _sections_of(records: dict[str, dict], period: Period) -> dict:
    return {"visits": _visits_section(records, period), "meetings": _meetings_section(records, period)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _rates(report: dict) -> dict[str, float | None]:
    """Shares (0 to 1, to 0.001; null without a whole), each taken from the report itself."""
    v, m = report["visits"], report["meetings"]
    consent, information = v["consent"], v["pre_visit_information"]
    return {
        "consent requests granted": _share(consent["granted_on_request"],
                                           consent["granted_on_request"] + consent["declined"]),
        "pre-visit information received late": _share(sum(o["late"] for o in information),
                                                      sum(o["received"] for o in information)),
        "documents circulated late": _share(m["totals"]["documents_circulated_late"],
                                            m["totals"]["documents_circulated"]),
    }


def _durations(report: dict) -> dict[str, float | None]:
    """Mean durations in days, each taken from the report itself (null without any)."""
    return {
        "mean days to the consent answer": report["visits"]["consent"]["time_to_answer"]["mean_days"],
        "mean days from a meeting held to its report to the Committee":
            report["meetings"]["time_to_report"]["mean_days"],
    }


def _quarters(period: Period) -> list[Period]:
    """The period in quarters: three months each from its first day, the last one ending with it."""
    starts = [_shift_months(period.start, 3 * q) for q in range(4)]
    return [replace(period, start=first, end=min(period.end, _shift_months(period.start, 3 * (q + 1)) - timedelta(days=1)))
            for q, first in enumerate(starts) if first <= period.end]


def _shift_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _compared(now: dict, before: dict, kind: str) -> list[dict]:
    """Each value of ``now`` against ``before`` (``change``: now minus before; null if either is)."""
    return [{kind: key, "this_period": now[key], "previous_period": before[key],
             "change": None if now[key] is None or before[key] is None else round(now[key] - before[key], 3)}
            for key in now]


def _trends(records: dict[str, dict], period: Period, report: dict) -> dict:
    """The annual report's year against the same period a year earlier (key figures, rates and
    mean durations), and the year's main counts quarter by quarter."""
    previous = period.previous_year()
    before = _sections_of(records, previous)
    return {
        "previous_period": previous.as_dict(),
        "figures": _compared(report["key_figures"], _key_figures(before), "figure"),
        "rates": _compared(_rates(report), _rates(before), "rate"),
        "durations": _compared(_durations(report), _durations(before), "duration"),
        "by_quarter": _by_quarter(records, period),
    }


def _by_quarter(records: dict[str, dict], period: Period) -> list[dict]:
    """The year's main counts for each quarter, each the key figure over the quarter,
    counted by the rules the sections count them by (``_conducted``, ``_consent``, meetings held,
    ``_logged``), without the rest of a report."""
    visits = _by_kind(records, "visit")
    meetings = [m for m in _by_kind(records, "meeting") if m["group_id"]]  # as the groups' rows count them
    counts = []
    for quarter in _quarters(period):
        consent = _consent(visits, quarter)
        counts.append({"period": quarter.as_dict(), "visits_conducted": len(_conducted(visits, quarter)),
                       "meetings_held": sum(m["held_at"] in quarter for m in meetings),
                       "consent_requested": consent["requested"], "consent_granted": consent["granted"],
                       "outcomes_logged": len(_logged(meetings, quarter))})
    return counts

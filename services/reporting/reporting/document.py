"""The report as the document a Committee circulates: one model that every format renders.

``document_of(report)`` turns the report's figures into a ``Document``: the front matter of the
Committees' documents (the Committee's full name and resolution, a place for the symbol the
secretariat assigns, "Distr.: General", the date of issue, the period written out), numbered
paragraphs of narrative (``reporting.narrative``), charts, and the statistical annex (every
table, numbered). HTML, Markdown, PDF, Word, CSV and XLSX all render this one model, so each
has what the others have. A pure function of the report: the same report, the same document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from shared.contract.vocabulary import country_name, in_words, written  # noqa: F401 - written: the narrative's too


@dataclass(frozen=True)
class CommitteeProfile:
    """How a Committee's documents name it, and who does its field work."""

    full_name: str  # as on the Committees' letters and programmes of work
    short_name: str  # in a table
    secretariat: str  # who conducts the visits on the Committee's behalf (the narrative's subject)

    @property
    def named(self) -> str:
        """In a sentence or a title: ``the Counter-Terrorism Committee``."""
        return "the " + self.short_name


COMMITTEES = {
    "ctc": CommitteeProfile(
        "Security Council Committee established pursuant to resolution 1373 (2001) concerning counter-terrorism",
        "Counter-Terrorism Committee", "the Counter-Terrorism Committee Executive Directorate"),
    "1540": CommitteeProfile(
        "Security Council Committee established pursuant to resolution 1540 (2004)",
        "1540 Committee", "the Committee, with its group of experts,"),
    "both": CommitteeProfile(
        "Security Council Committees established pursuant to resolutions 1373 (2001) and 1540 (2004): "
        "both Committees together",
        "Counter-Terrorism Committee and the 1540 Committee together", "the two Committees"),
}


@dataclass(frozen=True)
class Table:
    """One table of the annex: ``key`` names its CSV file and its XLSX sheet."""

    number: int
    key: str
    title: str
    header: tuple[str, ...]
    rows: list[list]
    empty: str = "None in this period."


# A chart's geometry, shared by the SVG (HTML), the PDF's drawing and Word's picture: a label
# column wide enough for the longest label (wrapped on two lines past LABEL_CHARS), then the bars.
BAR_ROW, BAR_WIDTH, LABEL_CHARS = 22, 300, 46


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[tuple[str, int]]

    def label_lines(self) -> list[list[str]]:
        """Each bar's label as lines: never cut, wrapped at a space past ``LABEL_CHARS``."""
        lines = []
        for label, _ in self.bars:
            if len(label) <= LABEL_CHARS:
                lines.append([label])
                continue
            cut = label.rfind(" ", 0, LABEL_CHARS)
            cut = cut if cut > 0 else LABEL_CHARS
            lines.append([label[:cut], label[cut:].strip()])
        return lines


@dataclass(frozen=True)
class Document:
    committee: str  # ctc, 1540 or both
    committee_name: str
    symbol: str  # a place for the symbol the secretariat assigns
    distribution: str
    issued_on: str  # written out
    issued: date | None  # the same date, if given (the Office formats' creation time)
    original: str
    title: str
    period: str  # written out
    as_of: str | None  # a sentence, for a report as of a moment
    paragraphs: list[str]
    charts: list[Chart]
    annex: list[Table]
    file_stem: str
    running_head: str  # at the top of every page but the first
    language: str = "en"
    provenance: dict = field(default_factory=dict)


SYMBOL_PLACEHOLDER = "S/____"


def written_period(start: str, end: str) -> str:
    """``1 January to 30 June 2013``; ``1 June 2012 to 31 May 2013``."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if first.year == last.year:
        return f"{first.day} {first:%B} to {written(last)}"
    return f"{written(first)} to {written(last)}"


def written_moment(moment: str) -> str:
    """``31 March 2013 at 12:00 UTC`` for an ISO 8601 moment."""
    when = datetime.fromisoformat(moment)
    offset = when.utcoffset()
    zone = "UTC" if not offset else when.strftime("UTC%z")
    return f"{written(when.date())} at {when:%H:%M} {zone}"


def as_of_sentence(provenance: dict) -> str | None:
    if not provenance.get("as_of"):
        return None
    moment = written_moment(provenance["as_of"])
    if provenance.get("basis") == "occurred":
        return f"As things stood on {moment}: only what had happened by then is counted."
    return f"As the record stood on {moment}: only what had been recorded by then is counted."


def title_of(kind: str, committee: str, period: dict, as_of: str | None, basis: str | None) -> str:
    """The report's title: whose, which period (written out), and as of when if it is not the
    whole record; the title of its JSON, of every document and, in short, of its file name."""
    year = "programme year" if committee == "1540" and period["start"][5:] == "06-01" and kind == "annual" else None
    what = {"semi-annual": "Semi-annual report", "annual": "Annual report"}[kind]
    title = (f"{what} of {COMMITTEES[committee].named} on country visits and working-group meetings, "
             f"{year + ' ' if year else ''}{written_period(period['start'], period['end'])}")
    if as_of:
        title += f", as {'things stood' if basis == 'occurred' else 'recorded'} on {written_moment(as_of)}"
    return title


def file_stem(report: dict) -> str:
    """The file name without its extension: whose, which kind, which period, and as of when
    (and on which basis), so that no two different reports share a name."""
    r, p = report["report"], report["provenance"]
    stem = f"{r['committee']}-{r['kind']}-report-{r['period']['start']}-to-{r['period']['end']}"
    if p.get("as_of"):
        moment = datetime.fromisoformat(p["as_of"])
        stem += f"-as-of-{moment:%Y%m%dT%H%M}-{p.get('basis', 'recorded')}"
    return stem


def state(x: dict) -> str:
    return x.get("country") or country_name(x["member_state"])


def _hours(value) -> str:
    return f"{value:g}"


def _mean(t: dict) -> str:
    return "-" if not t.get("count") else f"{t['mean_days']} / {t['median_days']} / {t['max_days']}"


def percent(share: float | None) -> str:
    """A share (0 to 1) as a percentage: ``62.5%``; ``-`` for none."""
    return "-" if share is None else f"{share * 100:.1f}%"


def days(value: float | None) -> str:
    """``12.5 days``, ``1 day``; ``-`` for none."""
    return "-" if value is None else f"{value:g} day{'' if value == 1 else 's'}"


def tables_of(report: dict) -> list[Table]:
    """Every table of the annex, in reading order, numbered."""
    v, m = report["visits"], report["meetings"]
    c, sharing = v["consent"], v["sharing"]
    specs: list[tuple[str, str, tuple, list]] = [
        ("key-figures", "Key figures", ("figure", "number"), [[k, n] for k, n in report["key_figures"].items()]),
        ("visits-by-committee", "Visits conducted by Committee", ("Committee", "visits"),
         [[COMMITTEES[k].short_name, n] for k, n in v["conducted_by_committee"].items()]),
        ("visits-conducted", "Visits conducted", ("State", "Committee", "started", "completed",
                                                  "organizations invited", "organizations taking part", "team"),
         [[state(x), COMMITTEES[x["committee"]].short_name, written(x["started_on"]), written(x["completed_on"]),
           ", ".join(x["organizations"]) or "-", ", ".join(x["organizations_taking_part"]) or "-",
           x["team_size"] or "-"] for x in sorted(v["conducted"], key=lambda x: (x["started_on"], state(x)))]),
        ("consent", "Consent of the States", ("requested", "granted on request", "declined", "pending at the end",
                                              "at the State's invitation", "granted in all",
                                              "days to answer (mean / median / max)"),
         [[c["requested"], c["granted_on_request"], c["declined"], c["pending_at_end"], c["by_invitation"],
           c["granted"], _mean(c["time_to_answer"])]]),
        ("pre-visit-information", "Pre-visit information by organization",
         ("organization", "invited", "asked", "received", "late", "after the due date", "overdue at the end"),
         [[o["organization"], o["invited"], o["asked"], o["received"], o["late"], o["after_due_date"],
           o["overdue_at_end"]] for o in v["pre_visit_information"]]),
        ("needs-by-area", "Needs identified by thematic area and priority",
         ("thematic area", "high", "medium", "low", "total"),
         [[in_words(area), n["high"], n["medium"], n["low"], n["total"]] for area, n in v["needs"]["by_area"].items()]),
        ("sharing-consent", "The States' consent to share needs assessments with donors",
         ("consent granted", "declined", "withdrawn", "shares made", "interested donors not shared with", "revoked"),
         [[sharing["consent"]["granted"], sharing["consent"]["declined"], sharing["consent"]["withdrawn"],
           sharing["shares"], sharing["interested_donors_not_shared_with"],
           sharing["revoked"]]]),
        ("needs-without-donor", "Needs that found no interested donor", ("State", "need", "thematic area", "priority"),
         [[state(n), n["need_id"], in_words(n["thematic_area"]), n["priority"]]
          for n in sharing["needs_without_interested_donor"]]),
        ("shares-by-donor", "Needs assessments shared with donors under the State's consent",
         ("donor", "shares", "States", "needs"),
         [[d["donor"], d["shares"], ", ".join(country_name(c) for c in d["visits"]), d["needs"]] for d in sharing["by_donor"]]),
        ("follow-up", "Follow-up", ("State", "on", "summary"),
         [[state(f), written(f["on"]), f["summary"]] for f in sorted(v["follow_up"], key=lambda f: (f["on"], state(f)))]),
        ("lacking-follow-up", "Visits lacking follow-up at the end of the period",
         ("State", "Committee", "completed", "days since"),
         [[state(x), COMMITTEES[x["committee"]].short_name, written(x["completed_on"]), x["days_since"]]
          for x in v["lacking_follow_up"]]),
        ("state-answers", "The States' answers to the visit reports",
         ("received", "of which late", "reminders sent", "overdue at the end"),
         [[v["state_answers"]["received"], v["state_answers"]["received_late"], v["state_answers"]["reminders"],
           len(v["state_answers"]["outstanding_at_end"])]]),
        ("answers-overdue", "Answers overdue at the end of the period", ("State", "answer", "due on", "days overdue"),
         [[state(a), "factual observations" if a["answer"] == "observations" else "response on implementation",
           written(a["due_on"]), a["days_overdue"]] for a in v["state_answers"]["outstanding_at_end"]]),
        ("recommendations-overdue", "Recommendations overdue at the end of the period",
         ("State", "recommendation", "thematic area", "due on", "status", "days overdue"),
         [[state(r), r["recommendation_id"], in_words(r["thematic_area"]), written(r["due_on"]), in_words(r["status"]),
           r["days_overdue"]] for r in v["recommendations"]["overdue_at_end"]]),
        ("recommendations-by-area", "Recommendations by thematic area and status",
         ("thematic area", "not started", "in progress", "implemented", "no longer relevant", "total"),
         [[in_words(area), n["not_started"], n["in_progress"], n["implemented"], n["no_longer_relevant"], n["total"]]
          for area, n in v["recommendations"]["by_area"].items()]),
        ("meetings-by-group", "Meetings by working group",
         ("group", "held", "cancelled", "decisions", "recommendations", "action items", "approved",
          "reported to the Committee", "days to report (mean / median / max)"),
         [[g["group"], g["meetings_held"], g["cancelled"], g["outcomes_logged"]["decision"],
           g["outcomes_logged"]["recommendation"], g["outcomes_logged"]["action_item"], g["outcomes_approved"],
           g["reports_to_committee"], _mean(g["time_to_report"])] for g in m["by_group"]]),
        ("documents-late", "Documents circulated late or not at all",
         ("group", "meeting", "document", "hours before the meeting", "notice needed (hours)"),
         [[g["group"], d["meeting"], d["document_id"],
           f"{_hours(d['hours_before_meeting'])} (after the start)" if d["after_start"]
           else _hours(d["hours_before_meeting"]), _hours(g["document_notice_hours"])]
          for g in m["by_group"] for d in g["documents_circulated_late"]]
         + [[g["group"], title, "none circulated", "-", _hours(g["document_notice_hours"])]
            for g in m["by_group"] for title in g["meetings_without_documents"]]),
        ("announced-late", "Meetings announced after they started", ("group", "meeting", "hours after the start"),
         [[g["group"], a["meeting"], _hours(a["hours_after_start"])] for g in m["by_group"]
          for a in g["announced_after_start"]]),
        ("announcements", "Announcement of meetings held",
         ("group", "meeting", "announced on", "starts on", "notice (days)", "delegations told", "delivered",
          "every delegation notified"),
         [[g["group"], a["meeting"], written(a["announced_on"]), written(a["starts_on"]), f"{a['notice_days']:g}",
           a["delegations_told"], a["delegations_delivered"], "yes" if a["every_delegation_notified"] else "no"]
          for g in m["by_group"] for a in g.get("announcements", [])]),
        ("lacking-report", "Meetings lacking a report to the Committee", ("group", "meeting"),
         [[g["group"], title] for g in m["by_group"] for title in g["meetings_lacking_report"]]),
        ("backlog", "Meetings held before the period still lacking a report to the Committee at its end",
         ("group", "meeting", "held on", "days since held"),
         [[b["group"], b["meeting"], written(b["held_on"]), b["days_since_held"]]
          for b in m.get("backlog_lacking_report", [])]),
        ("delegations", "Delegations attending the meetings held", ("State", "meetings attended"),
         [[state(d), d["meetings"]] for d in m["attendance"]["delegations"]]),
        ("organizations", "Organizations attending the meetings held", ("organization", "meetings attended"),
         [[o["organization"], o["meetings"]] for o in m["attendance"]["organizations"]]),
        ("decisions", "The Committee's decisions on the groups' outcomes",
         ("approved", "rejected", "returned", "deferred", "superseded", "communicated", "States reached",
          "open meetings held"),
         [[*m["decisions"]["by_decision"].values(), m["decisions"]["communicated"], m["decisions"]["states_reached"],
           m["decisions"]["open_meetings"]]]),
        ("outcomes-decided", "Outcomes decided", ("group", "meeting", "outcome", "kind", "text", "decision", "on"),
         [[o["group"], o["meeting"], o["outcome_id"], in_words(o["outcome_kind"]), o["text"], o["decision"],
           written(o["decided_on"])] for o in sorted(m["decisions"]["outcomes"],
                                                     key=lambda o: (o["decided_on"], o["group"], o["outcome_id"]))]),
        ("action-items-overdue", "Action items overdue at the end of the period",
         ("group", "meeting", "action item", "owner", "due on", "days overdue"),
         [[a["group"], a["meeting"], a["outcome_id"], a["owner"] or "-", written(a["due_on"]), a["days_overdue"]]
          for a in m["decisions"]["action_items_overdue"]]),
    ]
    if "trends" in report:
        previous = report["trends"]["previous_period"]
        specs.append((
            "trends", f"Trends against {written_period(previous['start'], previous['end'])}",
            ("figure", "this period", "previous period", "change"),
            [[f["figure"], f["this_period"], f["previous_period"], f"{f['change']:+d}"]
             for f in report["trends"]["figures"]]))
        specs.append((
            "trends-rates", "Rates and durations against the previous period",
            ("figure", "this period", "previous period", "change"),
            [[r["rate"], percent(r["this_period"]), percent(r["previous_period"]),
              "-" if r["change"] is None else f"{r['change'] * 100:+.1f} points"] for r in report["trends"]["rates"]]
            + [[d["duration"], days(d["this_period"]), days(d["previous_period"]),
                "-" if d["change"] is None else f"{d['change']:+g} days"] for d in report["trends"]["durations"]]))
        specs.append((
            "by-quarter", "The year quarter by quarter",
            ("quarter", "visits conducted", "meetings held", "consent requested", "consent granted",
             "outcomes logged"),
            [[written_period(q["period"]["start"], q["period"]["end"]), q["visits_conducted"], q["meetings_held"],
              q["consent_requested"], q["consent_granted"], q["outcomes_logged"]]
             for q in report["trends"]["by_quarter"]]))
    p = report["provenance"]
    specs.append(("provenance", "Provenance", ("period", "as of", "basis", "events", "stream position",
                                               "events hash (SHA-256)"),
                  [[f"{written_period(p['period']['start'], p['period']['end'])} "
                    f"(days in {p['period'].get('time_zone', 'UTC')})",
                    written_moment(p["as_of"]) if p.get("as_of") else "everything recorded",
                    p.get("basis", "recorded"), p["events"], p["stream_position"], p["events_hash"]]]))
    return [Table(i, key, title, header, rows) for i, (key, title, header, rows) in enumerate(specs, start=1)]


def charts_of(report: dict) -> list[Chart]:
    """The charts: needs by thematic area, meetings held by working group, the States' consent.
    A chart with nothing to draw is left out."""
    v, m = report["visits"], report["meetings"]
    c = v["consent"]
    charts = [
        Chart("Needs identified by thematic area",
              [(in_words(a), n["total"]) for a, n in v["needs"]["by_area"].items()]),
        Chart("Meetings held by working group", [(g["group"], g["meetings_held"]) for g in m["by_group"]]),
        Chart("Consent of the States", [("requested", c["requested"]), ("granted on request", c["granted_on_request"]),
                                        ("declined", c["declined"]), ("pending at the end", c["pending_at_end"]),
                                        ("at the State's invitation", c["by_invitation"])]),
    ]
    return [chart for chart in charts if any(n for _, n in chart.bars)]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value):
    """A string without the control characters a user may have typed (Word, XLSX and the PDF
    cannot hold them); anything else as it is."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def _printable_table(table: Table) -> Table:
    return replace(table, title=printable(table.title),
                   rows=[[printable(v) for v in row] for row in table.rows])


def document_of(report: dict) -> Document:
    """The report as its document, every text in it printable (one place for every format)."""
    from reporting.narrative import paragraphs_of

    r = report["report"]
    committee = r["committee"]
    profile = COMMITTEES[committee]
    return Document(
        committee=committee,
        committee_name=profile.full_name,
        symbol=printable(r.get("symbol") or SYMBOL_PLACEHOLDER),
        distribution="General",
        issued_on=written(r["issued_on"]) if r.get("issued_on") else "[date of issue]",
        issued=date.fromisoformat(r["issued_on"]) if r.get("issued_on") else None,
        original="English",
        title=printable(r["title"]),
        period=written_period(r["period"]["start"], r["period"]["end"]),
        as_of=as_of_sentence(report["provenance"]),
        paragraphs=[printable(p) for p in paragraphs_of(report)],
        charts=[replace(c, bars=[(printable(label), n) for label, n in c.bars]) for c in charts_of(report)],
        annex=[_printable_table(t) for t in tables_of(report)],
        file_stem=file_stem(report),
        running_head=f"{profile.short_name[:1].upper()}{profile.short_name[1:]}: {r['kind']} report, "
                     f"{written_period(r['period']['start'], r['period']['end'])}"
                     + (", as of " + written(report["provenance"]["as_of"]) if report["provenance"].get("as_of") else ""),
        provenance=report["provenance"],
    )


def cell(value) -> str:
    """A table cell as text: ``-`` for nothing."""
    return "-" if value is None else str(value)

"""The numbered paragraphs of a report, written from its figures.

Each paragraph says what the annex's tables show, in the Committees' own manner ("During the
period under review, the Executive Directorate conducted two visits, to Kenya and to Trinidad
and Tobago"): numbers under eleven in words, States by name, dates written out, lists in date
order and, past a handful, counted instead of listed (the annex lists them all).
"""
from __future__ import annotations

from shared.contract.vocabulary import in_words
from reporting.document import COMMITTEES, days, percent, state, written, written_period

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
LISTED = 8  # past this many, a list is counted and the reader sent to the annex


def number(n: int) -> str:
    """``two``; ``1,525``."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``one visit``, ``two visits``, ``no visit``."""
    return f"{number(n)} {singular if n in (0, 1) else plural or singular + 's'}"


def times(n: int) -> str:
    """``once``, ``twice``, ``three times``, ``1,525 times``."""
    return {1: "once", 2: "twice"}.get(n) or f"{number(n)} times"


def listing(items: list[str], before: str = "") -> str:
    """``Kenya and Trinidad and Tobago``; with ``before="to "``: ``to Kenya and to Trinidad and
    Tobago``; three or more with commas: ``a, b and c``."""
    items = [before + item for item in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]



def paragraphs_of(report: dict) -> list[str]:
    r, v, m = report["report"], report["visits"], report["meetings"]
    profile = COMMITTEES[r["committee"]]
    end = written(r["period"]["end"])
    paragraphs = [_introduction(report, profile)]
    paragraphs += [p for p in (_visits(v, profile), _consent(v, end), _pre_visit(v, end), _needs(v), _sharing(v),
                               _follow_up(v, end), _meetings(m, end), _documents(m), _decisions(m, end),
                               _attendance(m)) if p]
    if "trends" in report:
        paragraphs.append(_trends(report))
    return paragraphs


def _introduction(report: dict, profile) -> str:
    r, p = report["report"], report["provenance"]
    period = written_period(r["period"]["start"], r["period"]["end"])
    text = (f"The present report covers the country visits and the working-group meetings of "
            f"{profile.named} from {period}. It was written from the record of events kept by the "
            f"secretariat ({p['events']:,} events); the statistical annex gives every figure it cites, and its "
            f"last table says exactly what the report was built from.")
    if p.get("as_of"):
        basis = "what had happened" if p.get("basis") == "occurred" else "what had been recorded"
        text += f" It counts only {basis} by {written(p['as_of'])}."
    return text


def _visits(v: dict, profile) -> str:
    conducted = sorted(v["conducted"], key=lambda x: (x["started_on"], state(x)))
    subject = profile.secretariat
    if not conducted:
        return f"During the period under review, {subject} conducted no country visit."
    text = f"During the period under review, {subject} conducted {counted(len(conducted), 'visit')}"
    if len(conducted) <= LISTED:
        text += ", " + listing([f"{state(x)} ({_span(x)})" for x in conducted], "to ") + "."
    else:
        states = len({x["member_state"] for x in conducted})
        text += f" to {counted(states, 'State')}, listed in the annex."
    taking_part = sorted({o for x in conducted for o in x["organizations_taking_part"]})
    if taking_part and len(taking_part) <= LISTED:
        text += f" {listing(taking_part)} took part."
    elif taking_part:
        text += f" {counted(len(taking_part), 'organization')} took part."
    return text


def _span(x: dict) -> str:
    start, end = x["started_on"], x["completed_on"]
    if not end:
        return f"from {written(start)}"
    if start == end:
        return written(start)
    if start[:7] == end[:7]:
        return f"{int(start[8:])}-{written(end)}"
    return f"{written(start)} to {written(end)}"


def _consent(v: dict, end: str) -> str | None:
    c = v["consent"]
    if not (c["requested"] or c["by_invitation"]):
        return None
    parts = []
    if c["requested"]:
        answered = [counted(c["granted_on_request"], "State") + " granted it" if c["granted_on_request"] else None,
                    counted(c["declined"], "State") + " declined" if c["declined"] else None]
        text = f"The consent of {counted(c['requested'], 'State')} to a visit was requested"
        answered = [a for a in answered if a]
        if answered:
            text += "; " + listing(answered)
        if c["pending_at_end"]:
            text += f", and {number(c['pending_at_end'])} had not answered by {end}"
        parts.append(text + ".")
        t = c["time_to_answer"]
        if t["count"]:
            parts.append(f"The States answered in {days(t['mean_days'])} on average (median {days(t['median_days'])}).")
    if c["by_invitation"]:
        parts.append(f"{_capital(counted(c['by_invitation'], 'visit'))} {'was' if c['by_invitation'] == 1 else 'were'} "
                     "proposed at the State's own invitation, which counts as its consent: consent was given for "
                     f"{counted(c['granted'], 'visit')} in all.")
    return " ".join(parts)


def _pre_visit(v: dict, end: str) -> str | None:
    info = v["pre_visit_information"]
    asked = sum(o["asked"] for o in info)
    if not asked:
        return None
    received, late = sum(o["received"] for o in info), sum(o["late"] for o in info)
    overdue = sum(o["overdue_at_end"] for o in info)
    text = (f"Invited organizations were asked {times(asked)} for pre-visit information and provided it "
            f"{times(received) if received else 'no time'}")
    text += f", {number(late)} of them late." if late else "."
    if overdue:
        text += f" {_capital(number(overdue))} {'request was' if overdue == 1 else 'requests were'} overdue on {end}."
    return text


def _needs(v: dict) -> str | None:
    by_area = v["needs"]["by_area"]
    total = sum(n["total"] for n in by_area.values())
    if not total:
        return None
    high = sum(n["high"] for n in by_area.values())
    areas = [in_words(a) for a, n in sorted(by_area.items(), key=lambda kv: (-kv[1]["total"], kv[0])) if n["total"]]
    text = (f"The needs assessments of the period identified {counted(total, 'need')}"
            f"{f', {number(high)} of them of high priority' if high else ''}")
    if len(areas) <= LISTED:
        text += f", in {listing(areas)}."
    else:
        text += f", in {number(len(areas))} thematic areas."
    return text


def _sharing(v: dict) -> str | None:
    s = v["sharing"]
    if not (s["shares"] or s["consent"]["granted"] or s["consent"]["declined"] or s["revoked"]):
        return None
    donors = [d["donor"] for d in s["by_donor"]]
    parts = []
    if s["shares"]:
        text = (f"With the consent of the States concerned, needs assessments were shared "
                f"{times(s['shares'])}")
        text += f", with {listing(donors)}." if len(donors) <= LISTED else f", with {counted(len(donors), 'donor')}."
        parts.append(text)
    refused = [counted(s["consent"]["declined"], "State") + " declined to let its assessment be shared"
               if s["consent"]["declined"] else None,
               counted(s["consent"]["withdrawn"], "State") + " withdrew its consent" if s["consent"]["withdrawn"] else None,
               counted(s["revoked"], "share") + " " + ("was" if s["revoked"] == 1 else "were") + " revoked"
               if s["revoked"] else None]
    refused = [x for x in refused if x]
    if refused:
        parts.append(_capital(listing(refused)) + ".")
    unmatched = len(s["needs_without_interested_donor"])
    if unmatched:
        parts.append(f"{_capital(counted(unmatched, 'need'))} found no interested donor.")
    return " ".join(parts) or None


def _follow_up(v: dict, end: str) -> str | None:
    follow, lacking = v["follow_up"], v["lacking_follow_up"]
    answers, recommendations = v["state_answers"], v["recommendations"]
    parts = []
    if follow:
        states = sorted({state(f) for f in follow})
        parts.append(f"Follow-up was recorded {times(len(follow))}"
                     + (f", on the visits to {listing(states)}." if len(states) <= LISTED else "."))
    if lacking:
        parts.append(f"{_capital(counted(len(lacking), 'visit'))} completed had no follow-up on {end}.")
    if answers["received"]:
        parts.append(f"The States sent {counted(answers['received'], 'answer')} to the visit reports"
                     + (f", {number(answers['received_late'])} of them late." if answers["received_late"] else "."))
    if answers["outstanding_at_end"]:
        parts.append(f"{_capital(counted(len(answers['outstanding_at_end']), 'answer'))} "
                     f"{'was' if len(answers['outstanding_at_end']) == 1 else 'were'} overdue on {end}.")
    if recommendations["overdue_at_end"]:
        n = len(recommendations["overdue_at_end"])
        parts.append(f"{_capital(counted(n, 'recommendation'))} of the visit reports {'was' if n == 1 else 'were'} "
                     f"not implemented by {'its' if n == 1 else 'their'} due date.")
    return " ".join(parts) or None


def _meetings(m: dict, end: str) -> str | None:
    t, groups = m["totals"], m["by_group"]
    if not (t["meetings_held"] or any(g["cancelled"] for g in groups)):
        return _backlog(m).strip() or None
    text = f"The working groups held {counted(t['meetings_held'], 'meeting')}"
    cancelled = sum(g["cancelled"] for g in groups)
    if cancelled:
        text += f" ({number(cancelled)} cancelled)"
    text += f" and logged {counted(t['outcomes_logged'], 'outcome')}."
    if t["reports_to_committee"]:
        text += f" They reported to the Committee {times(t['reports_to_committee'])}"
        mean = m["time_to_report"]["mean_days"]
        text += f", {days(mean)} after the meeting on average." if mean is not None else "."
    lacking = [(g["group"], title) for g in groups for title in g["meetings_lacking_report"]]
    if lacking:
        text += f" {_capital(counted(len(lacking), 'meeting'))} held lacked a report to the Committee on {end}"
        text += (": " + listing([title for _, title in lacking]) + ".") if len(lacking) <= LISTED else "."
    return text + _announcements(m) + _backlog(m)


def _announcements(m: dict) -> str:
    """How long before they began the meetings held were announced, and of how many every
    Council delegation the notifications told was notified (delivered to at least one of its
    addresses); nothing without an announced meeting held."""
    notice, held = m.get("announcement_notice"), m["totals"]["meetings_held"]
    if not notice or not notice["count"]:
        return ""
    if notice["count"] == 1:
        text = f" One meeting held was announced {_before(notice['mean_days'], 'it')}"
    else:
        text = f" Meetings were announced on average {_before(notice['mean_days'], 'they')} ("
        text += (f"the shortest notice {days(notice['shortest_days'])}" if notice["shortest_days"] > 0
                 else "one at least announced only once it had begun")
        if notice["short_notice"]:
            text += (f"; {number(notice['short_notice'])} with less than {number(notice['short_notice_days'])} "
                     "days' notice")
        text += ")"
    announcements = [a for g in m["by_group"] for a in g.get("announcements", [])]
    if not any(a["delegations_told"] for a in announcements):
        return text + "; no notification of an announcement to the Council delegations was recorded."
    every = m["totals"]["every_delegation_notified"]
    of = ("the one meeting held" if every == held == 1 else f"all {number(held)} meetings held" if every == held
          else "none of the meetings held" if not every else f"{number(every)} of the {number(held)} meetings held")
    return text + f"; every Council delegation in the directory was notified of {of}."


def _before(notice_days: float, they: str) -> str:
    """``12.5 days before they began``; ``as or after it began`` for no notice."""
    return f"{days(notice_days)} before {they} began" if notice_days > 0 else f"as or after {they} began"


def _backlog(m: dict) -> str:
    backlog = m.get("backlog_lacking_report", [])
    if not backlog:
        return ""
    n = len(backlog)
    return (f" {_capital(counted(n, 'meeting'))} held in an earlier period still lacked "
            f"{'its report' if n == 1 else 'their reports'}, the oldest held on {written(backlog[0]['held_on'])}.")


def _documents(m: dict) -> str | None:
    t = m["totals"]
    parts = []
    if t["documents_circulated_late"]:
        notice = sorted({g["document_notice_hours"] for g in m["by_group"]})
        text = (f"{_capital(counted(t['documents_circulated_late'], 'document'))} "
                f"{'was' if t['documents_circulated_late'] == 1 else 'were'} circulated with less notice than the "
                f"{listing([f'{h:g} hours' for h in notice])} required")
        late = t.get("documents_circulated_after_start", 0)
        text += f", {number(late)} after the meeting had started." if late else "."
        parts.append(text)
    if t["meetings_without_documents"]:
        parts.append(f"{_capital(counted(t['meetings_without_documents'], 'meeting'))} had no document circulated.")
    if t["announced_after_start"]:
        parts.append(f"{_capital(counted(t['announced_after_start'], 'meeting'))} "
                     f"{'was' if t['announced_after_start'] == 1 else 'were'} announced after it had started.")
    return " ".join(parts) or None


def _decisions(m: dict, end: str) -> str | None:
    d = m["decisions"]
    by = d["by_decision"]
    if not (sum(by.values()) or d["communicated"] or d["open_meetings"] or d["action_items_overdue"]):
        return None
    parts = []
    decided = [f"{verb} {counted(by[key], 'outcome')}" for key, verb in
               (("approved", "approved"), ("rejected", "rejected"), ("returned", "returned"), ("deferred", "deferred"))
               if by.get(key)]
    if decided:
        parts.append(f"The Committee {listing(decided)} of its working groups.")
    if by.get("superseded"):
        parts.append(f"{_capital(counted(by['superseded'], 'outcome'))} approved earlier "
                     f"{'was' if by['superseded'] == 1 else 'were'} superseded by an amendment.")
    if d["communicated"]:
        parts.append(f"It communicated {counted(d['communicated'], 'outcome')} to the national contact points of "
                     f"{counted(d['states_reached'], 'State')}.")
    if d["open_meetings"]:
        parts.append(f"It held {counted(d['open_meetings'], 'open meeting')}.")
    if d["action_items_overdue"]:
        n = len(d["action_items_overdue"])
        parts.append(f"{_capital(counted(n, 'action item'))} {'was' if n == 1 else 'were'} overdue on {end}.")
    return " ".join(parts)


def _attendance(m: dict) -> str | None:
    a = m["attendance"]
    if not (a["delegations"] or a["organizations"]):
        return None
    text = f"The delegations of {counted(len(a['delegations']), 'State')}"
    if a["organizations"]:
        text += f" and {counted(len(a['organizations']), 'organization')}"
    text += " attended the meetings held"
    mean = a.get("mean_delegations_a_meeting")
    return text + (f", {mean:g} delegations a meeting on average." if mean else ".")


def _trends(report: dict) -> str:
    previous = report["trends"]["previous_period"]
    changes = []
    for f in report["trends"]["figures"]:
        if f["change"]:
            way = "rose" if f["change"] > 0 else "fell"
            changes.append(f"{f['figure']} {way} from {f['previous_period']:,} to {f['this_period']:,}")
    period = written_period(previous["start"], previous["end"])
    text = (f"Compared with {period}, {listing(changes[:LISTED])}." if changes
            else f"Every key figure was the same as from {period}.")
    shares = [f"{r['rate']} went from {percent(r['previous_period'])} to {percent(r['this_period'])}"
              for r in report["trends"].get("rates", [])
              if r["change"] and r["this_period"] is not None and r["previous_period"] is not None]
    if shares:
        text += f" As shares, {listing(shares)}."
    spans = [f"the {d['duration'].removeprefix('mean ')} went from {d['previous_period']:g} to "
             f"{d['this_period']:g} on average"
             for d in report["trends"].get("durations", []) if d["change"]]
    if spans:
        text += f" In time, {listing(spans)}."
    return text

"""A report in JSON, Markdown, HTML (with charts, no asset from the internet) and PDF.

JSON and Markdown are deterministic: the same report gives the same bytes."""
from __future__ import annotations

import html
import io
import json

FORMATS = {"json": "application/json", "md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
           "pdf": "application/pdf"}


def render(report: dict, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    if fmt == "md":
        return to_markdown(report).encode()
    if fmt == "html":
        return to_html(report).encode()
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"format is one of {', '.join(FORMATS)}")


# -- the report as sections of tables: one structure for every format ----------------------


def _sections(report: dict) -> list[tuple[str, list[str], list[list]]]:
    """(title, header, rows) for every table of the report, in reading order."""
    v, m = report["visits"], report["meetings"]
    c = v["consent"]
    t = c["time_to_answer"]
    sections = [
        ("Key figures", ["figure", "number"], [[k, n] for k, n in report["key_figures"].items()]),
        ("Visits conducted by committee", ["committee", "visits"],
         [[c, n] for c, n in v["conducted_by_committee"].items()]),
        ("Visits conducted", ["State", "committee", "started", "completed", "organizations invited",
                              "organizations taking part", "team"],
         [[f"{x['country']} ({x['member_state']})", x["committee"], x["started_on"], x["completed_on"] or "-",
           ", ".join(x["organizations"]) or "-", ", ".join(x["organizations_taking_part"]) or "-",
           x["team_size"] or "-"] for x in v["conducted"]]),
        ("Consent of the States", ["requested", "granted", "declined", "by invitation", "pending at end",
                                   "days to answer (mean / median / max)"],
         [[c["requested"], c["granted_on_request"], c["declined"], c["by_invitation"], c["pending_at_end"],
           "-" if not t["count"] else f"{t['mean_days']} / {t['median_days']} / {t['max_days']}"]]),
        ("Pre-visit information by organization", ["organization", "invited", "asked", "received", "late",
                                                   "after due date", "overdue at end"],
         [[o["organization"], o["invited"], o["asked"], o["received"], o["late"], o["after_due_date"],
           o["overdue_at_end"]] for o in v["pre_visit_information"]]),
        ("Needs identified by thematic area and priority", ["thematic area", "high", "medium", "low", "total"],
         [[area.replace("_", " "), n["high"], n["medium"], n["low"], n["total"]] for area, n in v["needs"]["by_area"].items()]),
        ("The States' consent to share needs assessments with donors",
         ["consent granted", "declined", "withdrawn", "shares made", "withheld", "revoked"],
         [[v["sharing"]["consent"]["granted"], v["sharing"]["consent"]["declined"], v["sharing"]["consent"]["withdrawn"],
           v["sharing"]["shares"], v["sharing"]["interested_donors_not_shared_with"], v["sharing"]["revoked"]]]),
        ("Needs that found no interested donor", ["State", "need", "thematic area", "priority"],
         [[n["member_state"], n["need_id"], n["thematic_area"].replace("_", " "), n["priority"]]
          for n in v["sharing"]["needs_without_interested_donor"]]),
        ("Needs assessments shared with donors under the State's consent", ["donor", "shares", "States", "needs"],
         [[d["donor"], d["shares"], ", ".join(d["visits"]), d["needs"]] for d in v["sharing"]["by_donor"]]),
        ("Follow-up", ["State", "on", "summary"], [[f["member_state"], f["on"], f["summary"]] for f in v["follow_up"]]),
        ("Visits lacking follow-up at the end of the period", ["State", "committee", "completed", "days since"],
         [[f"{x['country']} ({x['member_state']})", x["committee"], x["completed_on"], x["days_since"]]
          for x in v["lacking_follow_up"]]),
        ("The States' answers to the visit reports", ["received", "of which late", "reminders sent",
                                                      "overdue at end"],
         [[v["state_answers"]["received"], v["state_answers"]["received_late"], v["state_answers"]["reminders"],
           len(v["state_answers"]["outstanding_at_end"])]]),
        ("Answers overdue at the end of the period", ["State", "answer", "due on", "days overdue"],
         [[f"{a['country']} ({a['member_state']})", "factual observations" if a["answer"] == "observations"
           else "response on implementation", a["due_on"], a["days_overdue"]]
          for a in v["state_answers"]["outstanding_at_end"]]),
        ("Recommendations overdue at the end of the period", ["State", "recommendation", "thematic area", "due on",
                                                              "status", "days overdue"],
         [[r["member_state"], r["recommendation_id"], r["thematic_area"].replace("_", " "), r["due_on"],
           r["status"].replace("_", " "), r["days_overdue"]] for r in v["recommendations"]["overdue_at_end"]]),
        ("Recommendations by thematic area and status", ["thematic area", "not started", "in progress",
                                                         "implemented", "no longer relevant", "total"],
         [[area.replace("_", " "), n["not_started"], n["in_progress"], n["implemented"], n["no_longer_relevant"],
           n["total"]] for area, n in v["recommendations"]["by_area"].items()]),
        ("Meetings by working group", ["group", "held", "cancelled", "decisions", "recommendations", "action items",
                                        "approved", "reported to the Committee", "days to report (mean / median / max)"],
         [[g["group"], g["meetings_held"], g["cancelled"], g["outcomes_logged"]["decision"],
           g["outcomes_logged"]["recommendation"], g["outcomes_logged"]["action_item"], g["outcomes_approved"],
           g["reports_to_committee"],
           f"{g['time_to_report']['mean_days']} / {g['time_to_report']['median_days']} / {g['time_to_report']['max_days']}"
           if g["time_to_report"]["count"] else "-"] for g in m["by_group"]]),
        ("Documents circulated late or not at all",
         ["group", "meeting", "document", "hours before the meeting", "notice needed (hours)"],
         [[g["group"], d["meeting"], d["document_id"],
           f"{d['hours_before_meeting']} (after the start)" if d["after_start"] else d["hours_before_meeting"],
           g["document_notice_hours"]]
          for g in m["by_group"] for d in g["documents_circulated_late"]]
         + [[g["group"], title, "none circulated", "-", g["document_notice_hours"]]
            for g in m["by_group"] for title in g["meetings_without_documents"]]),
        ("Meetings announced after they started", ["group", "meeting", "hours after the start"],
         [[g["group"], a["meeting"], a["hours_after_start"]] for g in m["by_group"] for a in g["announced_after_start"]]),
        ("Meetings lacking a report to the Committee", ["group", "meeting"],
         [[g["group"], title] for g in m["by_group"] for title in g["meetings_lacking_report"]]),
        ("Delegations attending the meetings held", ["State", "meetings attended"],
         [[f"{d['country']} ({d['member_state']})", d["meetings"]] for d in m["attendance"]["delegations"]]),
        ("Organizations attending the meetings held", ["organization", "meetings attended"],
         [[o["organization"], o["meetings"]] for o in m["attendance"]["organizations"]]),
        ("The Committee's decisions on the groups' outcomes", ["approved", "rejected", "returned", "deferred",
                                                               "superseded", "communicated", "States reached",
                                                               "open meetings held"],
         [[*m["decisions"]["by_decision"].values(), m["decisions"]["communicated"], m["decisions"]["states_reached"],
           m["decisions"]["open_meetings"]]]),
        ("Outcomes decided", ["group", "meeting", "outcome", "kind", "text", "decision", "on"],
         [[o["group"], o["meeting"], o["outcome_id"], o["outcome_kind"].replace("_", " "), o["text"], o["decision"],
           o["decided_on"]] for o in m["decisions"]["outcomes"]]),
        ("Action items overdue at the end of the period", ["group", "meeting", "action item", "owner", "due on",
                                                           "days overdue"],
         [[a["group"], a["meeting"], a["outcome_id"], a["owner"] or "-", a["due_on"], a["days_overdue"]]
          for a in m["decisions"]["action_items_overdue"]]),
    ]
    if "trends" in report:
        sections.append((
            f"Trends against {report['trends']['previous_period']['start']} to {report['trends']['previous_period']['end']}",
            ["figure", "this period", "previous period", "change"],
            [[f["figure"], f["this_period"], f["previous_period"], f"{f['change']:+d}"] for f in report["trends"]["figures"]],
        ))
    p = report["provenance"]
    sections.append(("Provenance", ["period", "as of", "basis", "events", "stream position", "events hash (SHA-256)"],
                     [[f"{p['period']['start']} to {p['period']['end']} ({p['period'].get('time_zone', 'UTC')} days)",
                       p.get("as_of") or "everything recorded",
                       p.get("basis", "recorded"), p["events"], p["stream_position"], p["events_hash"]]]))
    return sections


def _cell(value) -> str:
    return "-" if value is None else str(value)


def to_markdown(report: dict) -> str:
    lines = [f"# {report['report']['title']}", ""]
    for title, header, rows in _sections(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["None in this period.", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            lines.append("| " + " | ".join(_cell(x).replace("|", "\\|").replace("\n", " ") for x in row) + " |")
        lines.append("")
    return "\n".join(lines)


def _bar_chart(title: str, data: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG."""
    if not data or not any(n for _, n in data):
        return ""
    top = max(n for _, n in data) or 1
    row, width, label = 22, 360, 260
    bars = []
    for i, (name, n) in enumerate(data):
        y = i * row + 4
        w = max(1, round(width * n / top)) if n else 0
        bars.append(
            f'<text x="{label - 6}" y="{y + 14}" text-anchor="end" font-size="12">{html.escape(name)}</text>'
            f'<rect x="{label}" y="{y}" width="{w}" height="16" fill="#1f5fa8"><title>{n}</title></rect>'
            f'<text x="{label + w + 4}" y="{y + 13}" font-size="12">{n}</text>'
        )
    height = len(data) * row + 8
    return (f'<figure><figcaption>{html.escape(title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 40}" height="{height}" role="img" '
            f'aria-label="{html.escape(title)}">{"".join(bars)}</svg></figure>')


def to_html(report: dict) -> str:
    v, m = report["visits"], report["meetings"]
    charts = [
        _bar_chart("Needs identified by thematic area",
                   [(a.replace("_", " "), n["total"]) for a, n in v["needs"]["by_area"].items()]),
        _bar_chart("Meetings held by working group", [(g["group"][:40], g["meetings_held"]) for g in m["by_group"]]),
        _bar_chart("Consent of the States", [("requested", v["consent"]["requested"]), ("granted", v["consent"]["granted"]),
                                             ("declined", v["consent"]["declined"]), ("pending at end", v["consent"]["pending_at_end"])]),
    ]
    body = [f"<h1>{html.escape(report['report']['title'])}</h1>", '<section class="charts">', *filter(None, charts), "</section>"]
    for title, header, rows in _sections(report):
        body.append(f"<h2>{html.escape(title)}</h2>")
        if not rows:
            body.append("<p>None in this period.</p>")
            continue
        body.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for row in rows:
            body.append("<tr>" + "".join(f"<td>{html.escape(_cell(x))}</td>" for x in row) + "</tr>")
        body.append("</tbody></table>")
    style = ("body{font-family:sans-serif;max-width:64rem;margin:2rem auto;color:#222}"
             "table{border-collapse:collapse;margin:0 0 1.5rem}td,th{border:1px solid #bbb;padding:.25rem .5rem;"
             "text-align:left;vertical-align:top}th{background:#eef2f7}figure{margin:1rem 0}"
             "figcaption{font-weight:bold;margin-bottom:.25rem}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(report['report']['title'])}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def to_pdf(report: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                                 topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=report["report"]["title"],
                                 invariant=1)
    story = [Paragraph(html.escape(report["report"]["title"]), styles["Title"])]
    for title, header, rows in _sections(report):
        story.append(Paragraph(html.escape(title), styles["Heading2"]))
        if not rows:
            story.append(Paragraph("None in this period.", styles["BodyText"]))
            continue
        data = [[Paragraph(f"<b>{html.escape(h)}</b>", cell) for h in header]]
        data += [[Paragraph(html.escape(_cell(x)), cell) for x in row] for row in rows]
        table = Table(data, repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story += [table, Spacer(1, 0.4 * cm)]
    document.build(story)
    return buffer.getvalue()

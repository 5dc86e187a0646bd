"""Which steps a visit's rules allow now: each command tried on a copy of the visit.

The web console offers as buttons the steps that :func:`next_steps` allows, and shows for the
others the rule that refuses them, so that the offer comes from the same rules that judge the
step, not from a second list. A step whose outcome depends on what the user enters (which
organization, which dates, which needs) is tried with the input most likely to be accepted: a
new organization, the first organization awaiting that step, dates a month ahead, the first
need. "Allowed" therefore means "allowed for some input"; the visits service still judges the
real command, and a refusal names its rule.
"""
from __future__ import annotations

import copy
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID

from shared.domain import Context
from shared.errors import RuleBroken
from visits.domain.model import Need, Visit

_PROBE_DONOR = UUID(int=0)


def _organization(visit: Visit, waiting_for: str | None) -> str:
    """The first invited organization that awaits the step (``requested``: asked for its
    information, not yet given; ``request``: not asked yet), else any invited one."""
    names = sorted(visit.organizations)
    for name in names:
        org = visit.organizations[name]
        if waiting_for == "request" and org["info_requested_at"] is None:
            return name
        if waiting_for == "requested" and org["info_requested_at"] is not None and org["info_received_at"] is None:
            return name
    return names[0] if names else "an organization not invited"


def _probes(visit: Visit, ctx: Context) -> dict[str, dict]:
    today = ctx.occurred_at.date()
    first_need = next(iter(visit.needs), "a need")
    return {
        "approve": {},
        "request_consent": {"due_on": None},
        "grant_consent": {},
        "decline_consent": {"reason": ""},
        "invite_organization": {"organization": "\x00a new organization", "kind": "un_body"},
        "request_pre_visit_info": {"organization": _organization(visit, "request"), "due_on": today + timedelta(days=14)},
        "receive_pre_visit_info": {"organization": _organization(visit, "requested"), "summary": ""},
        "schedule": {"starts_on": today + timedelta(days=30), "ends_on": today + timedelta(days=34)},
        "start": {},
        "complete": {},
        "record_needs_assessment": {"needs": [Need("a need", "border_control", "a need", "high")], "summary": ""},
        "grant_sharing_consent": {},
        "decline_sharing_consent": {"reason": ""},
        "withdraw_sharing_consent": {"reason": ""},
        "share_needs_assessment": {"donor": SimpleNamespace(name="a registered donor"), "donor_id": _PROBE_DONOR,
                                   "need_ids": [first_need]},
        "record_follow_up": {"summary": "follow-up"},
        "close": {},
        "cancel": {"reason": "cancelled"},
        "postpone": {"reason": "postponed"},
    }


def next_steps(visit: Visit, ctx: Context) -> dict[str, str | None]:
    """Each lifecycle method of the visit -> None when its rules allow it now (for some input),
    else the name of the rule that refuses it. The visit itself is not changed."""
    answers: dict[str, str | None] = {}
    for method, arguments in _probes(visit, ctx).items():
        trial = copy.deepcopy(visit)
        try:
            getattr(trial, method)(ctx, **arguments)
        except RuleBroken as refused:
            answers[method] = refused.rule
        else:
            answers[method] = None
    return answers

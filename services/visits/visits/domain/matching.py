"""Matching donors to needs: which registered donors a needs assessment's needs interest, and why.

"Donors are registered once (who they are, which areas interest them) and can be matched to
needs" (``shared/DOMAIN.md``): a donor is proposed for a need when the need's thematic area is
one of the donor's areas of interest. Matching only proposes; the coordinator chooses whom to
share with, and sharing itself stays under the State's consent (``Visit.share_needs_assessment``).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID


class Interested(Protocol):
    id: UUID
    name: str
    thematic_areas: list[str]


def _why(donor: Interested, need: Any) -> str:
    return (
        f"{donor.name} registered an interest in {need.thematic_area.replace('_', ' ')}, "
        f"the area of need {need.need_id} ({need.priority} priority)"
    )


def match_donors(needs: Iterable[Any], donors: Iterable[Interested]) -> dict:
    """For each need, the donors interested in its area (with the reason); for each donor, the
    needs proposed to it; and the needs no registered donor is interested in.

    ``needs`` are :class:`~visits.domain.model.Need`; the result is in a stable order (needs as
    given, donors by name then id) so that the same registry gives the same proposal."""
    needs = list(needs)
    donors = sorted(donors, key=lambda d: (d.name, str(d.id)))
    by_need = []
    by_donor: dict[UUID, dict] = {}
    for need in needs:
        interested = [d for d in donors if need.thematic_area in d.thematic_areas]
        by_need.append({
            "need_id": need.need_id,
            "thematic_area": need.thematic_area,
            "priority": need.priority,
            "donors": [{"donor_id": d.id, "name": d.name, "why": _why(d, need)} for d in interested],
        })
        for donor in interested:
            entry = by_donor.setdefault(
                donor.id, {"donor_id": donor.id, "name": donor.name, "need_ids": [], "why": []}
            )
            entry["need_ids"].append(need.need_id)
            entry["why"].append(_why(donor, need))
    return {
        "needs": by_need,
        "donors": [by_donor[d.id] for d in donors if d.id in by_donor],
        "unmatched_need_ids": [n["need_id"] for n in by_need if not n["donors"]],
    }

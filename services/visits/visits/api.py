"""What the visits service offers, in plain Python: the HTTP and RPC entrypoints are one-line
calls into this, and the unit tests drive it directly.

Input is JSON-like dicts, checked with the command's schema (field errors name the field);
output is JSON-ready views.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from marshmallow import Schema, fields, validate

from shared.commands import ServiceAPI, command_input, parse_command
from shared.contract import fields as f
from shared.contract import visits as contract
from shared.contract.vocabulary import COMMITTEES, ORIGINS, country_name
from shared.domain import Context
from shared.errors import InvalidInput, NotFound, RuleBroken
from shared.http import jsonable, load, parse_uuid
from visits import iati
from visits.application import STATUSES, VISIT_COMMANDS, VisitsApplication
from visits.domain.matching import match_donors
from visits.domain.steps import next_steps
from visits.views import donor_share_view, donor_view, share_view, visit_summary, visit_view


PROPOSE = command_input(
    contract.VisitProposed,
    "expected_version",
    origin=f.one_of(ORIGINS, required=False, load_default="committee_selection"),
    visit_id=fields.UUID(load_default=None),
)
REGISTER_DONOR = command_input(
    contract.DonorRegistered, "expected_version", donor_id=fields.UUID(load_default=None)
)
UPDATE_DONOR = command_input(contract.DonorInterestsUpdated)

COMMAND_INPUTS: dict[str, Schema] = {
    "approve": command_input(contract.VisitApproved),
    "request-consent": command_input(contract.ConsentRequested),
    "grant-consent": command_input(contract.ConsentGranted),
    "decline-consent": command_input(contract.ConsentDeclined),
    "invite-organization": command_input(contract.OrganizationInvited),
    "request-pre-visit-info": command_input(contract.PreVisitInfoRequested),
    "receive-pre-visit-info": command_input(contract.PreVisitInfoReceived, "late", "after_due_date"),
    "schedule": command_input(contract.VisitScheduled),
    "start": command_input(contract.VisitStarted),
    "complete": command_input(contract.VisitCompleted),
    "record-needs-assessment": command_input(contract.NeedsAssessmentRecorded, "assessment_version"),
    "grant-sharing-consent": command_input(contract.DonorSharingConsentGranted),
    "decline-sharing-consent": command_input(contract.DonorSharingConsentDeclined),
    "withdraw-sharing-consent": command_input(contract.DonorSharingConsentWithdrawn),
    "share-needs-assessment": command_input(
        contract.NeedsAssessmentShared, "donor_name", "assessment_version", "consent_version"
    ),
    "record-follow-up": command_input(contract.FollowUpRecorded),
    "close": command_input(contract.VisitClosed),
    "cancel": command_input(contract.VisitCancelled),
    "postpone": command_input(contract.VisitPostponed),
}
if set(COMMAND_INPUTS) != set(VISIT_COMMANDS):  # a programming error, caught at import
    raise RuntimeError("every visit command needs an input schema")


class ListFilters(Schema):
    state = fields.String(load_default=None, validate=validate.Length(equal=3))
    committee = fields.String(load_default=None, validate=validate.OneOf(COMMITTEES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    waiting_for = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["committee_approval", "consent_request", "state_consent", "pre_visit_info", "dates", "follow_up_and_closure"]
        ),
    )
    overdue = fields.Boolean(load_default=False)
    today = f.date(required=False, load_default=None)


class VisitsAPI(ServiceAPI):
    app: VisitsApplication

    @staticmethod
    def _today() -> date:
        return datetime.now(timezone.utc).date()

    def _view(self, visit) -> dict:
        """One visit's view, with the steps its rules allow now and the rule refusing each other
        (``next_steps``: what the web console offers). Only ``GET /visits/{id}`` answers it:
        each step is tried on a copy of the visit, which costs more than a command itself."""
        probe = Context(occurred_at=datetime.now(timezone.utc), user="next-steps", role="visit_coordinator",
                        correlation_id="next-steps")
        by_method = next_steps(visit, probe)
        view = visit_view(visit, self._today())
        view["next_steps"] = {
            "allowed": [c for c, m in VISIT_COMMANDS.items() if by_method[m] is None],
            "refused": {c: by_method[m] for c, m in VISIT_COMMANDS.items() if by_method[m] is not None},
        }
        return view

    def propose_visit(self, body: dict, actor: dict | None = None) -> dict:
        data, ctx, _ = parse_command(PROPOSE, body, actor)
        visit_id = self.app.propose_visit(ctx, **data)
        return visit_view(self.app.get_visit(visit_id), self._today())

    def execute(self, visit_id: str, command: str, body: dict, actor: dict | None = None) -> dict:
        try:
            schema = COMMAND_INPUTS[command]
        except KeyError:
            raise InvalidInput(
                {"command": [f"unknown command {command!r}; one of {', '.join(COMMAND_INPUTS)}"]}
            ) from None
        ident = parse_uuid(visit_id, "visit")
        data, ctx, expected = parse_command(schema, body, actor)
        visit = self.app.execute(ctx, ident, command, data, expected)
        return visit_view(visit, self._today())

    def get_visit(self, visit_id: str) -> dict:
        return self._view(self.app.get_visit(parse_uuid(visit_id, "visit")))

    def visit_history(self, visit_id: str) -> list[dict]:
        ident = parse_uuid(visit_id, "visit")
        self.app.get_visit(ident)  # 404 for an unknown visit
        return self.app.history(ident)

    def list_visits(self, filters: dict | None = None) -> list[dict]:
        given = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        if isinstance(given.get("state"), str):
            given["state"] = given["state"].upper()
        query = load(ListFilters(), given)
        today = query.pop("today") or self._today()
        visits = self.app.list_visits(
            member_state=query["state"],
            committee=query["committee"],
            status=query["status"],
            waiting_for=query["waiting_for"],
            overdue=query["overdue"],
            today=today,
        )
        return [visit_summary(v, today) for v in visits]

    def register_donor(self, body: dict, actor: dict | None = None) -> dict:
        data, ctx, _ = parse_command(REGISTER_DONOR, body, actor)
        donor_id = self.app.register_donor(ctx, **data)
        return donor_view(self.app.get_donor(donor_id))

    def update_donor_interests(self, donor_id: str, body: dict, actor: dict | None = None) -> dict:
        ident = parse_uuid(donor_id, "donor")
        data, ctx, expected = parse_command(UPDATE_DONOR, body, actor)
        donor = self.app.update_donor_interests(ctx, ident, data["thematic_areas"], expected)
        return donor_view(donor)

    def get_donor(self, donor_id: str) -> dict:
        return donor_view(self.app.get_donor(parse_uuid(donor_id, "donor")))

    def list_donors(self) -> list[dict]:
        return [donor_view(d) for d in self.app.list_donors()]

    def donor_view(self, donor_id: str | None) -> list[dict]:
        """What was shared with one donor, and nothing else: the needs each State consented to
        share with it, as they were when shared, with the consent each share rests on. A
        withdrawal stops later sharing and revokes what was shared: the donor then sees the
        revocation notice, not the needs."""
        if not donor_id:
            return []
        ident = parse_uuid(donor_id, "donor")
        return jsonable([
            donor_share_view(visit, share)
            for visit in self.app.list_visits() for share in visit.shares if share["donor_id"] == ident
        ])

    def donor_share_iati(self, donor_id: str | None, share_id: str, as_xml: bool) -> tuple[bytes, str]:
        """One share as an IATI 2.03 activity, for the donor it was shared with only (anyone
        else gets a 404, as for a share that does not exist); a revoked share is not delivered."""
        wanted = parse_uuid(share_id, "share")
        mine = parse_uuid(donor_id, "donor") if donor_id else None
        for visit in self.app.list_visits():
            for share in visit.shares:
                if share["donor_id"] == mine and share["share_id"] == wanted:
                    return self._iati(visit, share, as_xml)
        raise NotFound("share", wanted)

    def _iati(self, visit, share: dict, as_xml: bool) -> tuple[bytes, str]:
        if share["revoked_at"] is not None:
            raise RuleBroken(
                "revoked_share_is_not_delivered",
                f"{visit.member_state} withdrew its consent to share on {share['revoked_at'].date()}",
            )
        donor = self.app.find_donor(share["donor_id"])
        full = dict(share, consent_event_id=share_view(visit, share)["consent_event_id"])
        activity = iati.activity(visit, full, donor.donor_kind if donor else "other",
                                 iati.Publisher.for_committee(visit.committee))
        if not as_xml:
            return json.dumps(jsonable(activity), indent=1).encode(), "application/json"
        xml = iati.to_xml(activity)
        problems = iati.validate(xml)
        if problems:  # a programming error: never hand out an invalid activity
            raise RuntimeError(f"IATI activity not valid against the 2.03 schema: {problems[:3]}")
        return xml, "application/xml"

    def donor_matches(self, visit_id: str) -> dict:
        """The registered donors interested in each need of the visit's current needs
        assessment, and why; the coordinator chooses whom to share with."""
        visit = self.app.get_visit(parse_uuid(visit_id, "visit"))
        matches = match_donors(visit.needs.values(), self.app.list_donors())
        shared = {
            share["donor_id"] for share in visit.shares
            if share["assessment_version"] == visit.assessment_version and share["revoked_at"] is None
        }
        for donor in matches["donors"]:
            donor["already_shared"] = donor["donor_id"] in shared
        return jsonable({
            "visit_id": visit.id,
            "assessment_version": visit.assessment_version,
            "sharing_consent": visit.sharing_consent,
            "sharing_consent_in_force": visit.sharing_consent_in_force,
            **matches,
        })

    def commands(self) -> dict:
        """Each command and the fields it takes (for clients and the CLI's help)."""
        return jsonable({name: sorted(schema.fields) for name, schema in COMMAND_INPUTS.items()})

"""What the reports say of sharing with donors (issue 9): shares made, the interested donors a
State's decline or withdrawal left unshared with, revoked, and the needs that found no interested donor; worked out by
hand from a small timeline (times 09:00 UTC).

  donors   A (border_control) 2025-01-05; B (legislation) 2025-01-05; C (transport_security)
           2025-03-01; D (legislation) registered 2025-07-10, after the half year
  visit 1  KEN: needs v1 02-01 (K1 border_control high, K2 legislation medium, K3
           human_rights_compliance low); consent 02-02; shared with A 02-03 (K1); withdrawn 02-20:
           A's share revoked, B (interested in K2, never shared with) not shared with
  visit 2  PER: needs v1 03-10 (P1 transport_security high, P2 legislation low); consent
           declined 03-12: C and B not shared with
  visit 3  UGA: needs v1 2024-11-01 (U1 border_control high), before the half year
"""
from __future__ import annotations

from reporting.reports import semi_annual


def test_shares_made_interested_donors_not_shared_with_revoked_and_needs_without_a_donor(reporting):
    s = reporting.Stream()
    a = s.donor(1).registered("2025-01-05", "Donor A", "state", "border_control")
    s.donor(2).registered("2025-01-05", "Donor B", "state", "legislation")
    s.donor(3).registered("2025-03-01", "Donor C", "other", "transport_security")

    uga = s.visit(3).proposed("2024-10-01", "UGA").approved("2024-10-02")
    uga.needs("2024-11-01", ("U1", "border_control", "high"))

    ken = s.visit(1).proposed("2025-01-10", "KEN").approved("2025-01-11")
    ken.needs("2025-02-01", ("K1", "border_control", "high"), ("K2", "legislation", "medium"),
              ("K3", "human_rights_compliance", "low"))
    ken.sharing_granted("2025-02-02").shared("2025-02-03", a, "K1").sharing_withdrawn("2025-02-20")

    per = s.visit(2).proposed("2025-03-01", "PER").approved("2025-03-02")
    per.needs("2025-03-10", ("P1", "transport_security", "high"), ("P2", "legislation", "low"))
    per.sharing_declined("2025-03-12")

    s.donor(4).registered("2025-07-10", "Donor D", "state", "human_rights_compliance")

    sharing = reporting.report(s.envelopes, "semi-annual", semi_annual(2025, 1))["visits"]["sharing"]
    assert sharing["consent"] == {"granted": 1, "declined": 1, "withdrawn": 1}
    assert (sharing["shares"], sharing["interested_donors_not_shared_with"], sharing["revoked"]) == (1, 3, 1)
    # K3: D, the only donor interested in human rights compliance, registered after 06-30
    assert sharing["needs_without_interested_donor"] == [
        {"visit_id": str(reporting.visit_id(1)), "member_state": "KEN", "need_id": "K3",
         "thematic_area": "human_rights_compliance", "priority": "low"},
    ]

    second = reporting.report(s.envelopes, "semi-annual", semi_annual(2025, 2))["visits"]["sharing"]
    assert (second["shares"], second["interested_donors_not_shared_with"], second["revoked"]) == (0, 0, 0)
    assert second["needs_without_interested_donor"] == []  # no assessment in the second half

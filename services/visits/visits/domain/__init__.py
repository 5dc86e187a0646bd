from visits.domain.model import (  # noqa: F401
    Committee,
    ConsentStatus,
    Donor,
    Need,
    Origin,
    Recommendation,
    RegisteredOrganization,
    SharingConsent,
    StateAnswer,
    Visit,
    VisitStatus,
)

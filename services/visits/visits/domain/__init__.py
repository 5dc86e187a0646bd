from visits.domain.model import (  # noqa: F401
    Committee,
    ConsentStatus,
    Donor,
    Need,
    Origin,
    RegisteredOrganization,
    SharingConsent,
    Visit,
    VisitStatus,
)

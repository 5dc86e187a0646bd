"""The directory of organizations a visit may invite: one name for each, whatever it is called.

Reference data of the contract: the events name an invited organization by the name it has
here (``Organization.name``), so that "UNODC", "Office on Drugs and Crime" and "United Nations
Office on Drugs and Crime" are one organization in every visit and every report.

``ANNEX_2003`` is the list annexed to the Counter-Terrorism Committee's follow-up action plan
of 6 March 2003 (S/AC.40/2003/SM.1/6/Rev.1, "List of international, regional and subregional
organizations with which the Counter-Terrorism Committee will deepen contacts"), section by
section, each under its common name today, with its abbreviations and the names it has had
(the annex's own among them: "Organization of the Islamic Conference" is the Organisation of
Islamic Cooperation since 2011). Its fourth section, "Secretariat departments", lists no
organization in the copy kept (seeds/001). The secretariat adds the others it works with
(visits service, ``POST /organizations``); a ``Directory`` holds both.

Names are matched loosely (``key``): case, accents, punctuation, spaces, a leading "the",
British or American spelling ("organisation", "centre") do not matter.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from shared.contract.vocabulary import ORGANIZATION_KINDS


@dataclass(frozen=True)
class Organization:
    """One organization: its ``name`` (the one events record), its ``abbreviations`` and other
    names it is known by (``also_known_as``), its ``kind`` (``ORGANIZATION_KINDS``), the body it
    is part of (``part_of``), and where it is listed (``listed_in``: ``2003 annex, section I``,
    or ``registered`` for one the secretariat added)."""

    name: str
    abbreviations: tuple[str, ...] = ()
    kind: str = "international"
    also_known_as: tuple[str, ...] = ()
    part_of: str = ""
    listed_in: str = "registered"

    def __post_init__(self) -> None:
        if self.kind not in ORGANIZATION_KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} is not one of {ORGANIZATION_KINDS}")

    @property
    def names(self) -> tuple[str, ...]:
        """Every name it answers to: its name, abbreviations and other names."""
        return (self.name, *self.abbreviations, *self.also_known_as)


_WITH_ABBREVIATION = re.compile(r"^\s*(.+?)\s*\(([^()]+)\)\s*$")
_SPELLINGS = (("organisation", "organization"), ("centre", "center"), ("programme", "program"))


@lru_cache(maxsize=8192)
def key(text: str) -> str:
    """What two names of one organization have in common: lower case, no accents, no
    punctuation or spaces, no leading "the", one spelling of "organization", "center" and
    "program"; letters of every script are kept (a name in Arabic or Chinese has a key too),
    and a name with neither letters nor digits has none (``""``)."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    text = re.sub(r"^\s*the\s+", "", text.replace("&", " and "))
    text = "".join(c for c in text if c.isalnum())
    for british, american in _SPELLINGS:
        text = text.replace(british, american)
    return text


@dataclass
class Directory:
    """Organizations found by any of their names. Two organizations never share a name."""

    organizations: list[Organization] = field(default_factory=list)

    def __post_init__(self) -> None:
        entries, self.organizations, self._by_key = self.organizations, [], {}
        for organization in entries:
            self.add(organization)

    def clashes(self, organization: Organization) -> list[tuple[str, Organization]]:
        """Each name of ``organization`` that already names another one, with that one."""
        found = []
        for name in organization.names:
            other = self._by_key.get(key(name))
            if other is not None and other is not organization:
                found.append((name, other))
        return found

    def add(self, organization: Organization, *, strict: bool = True) -> None:
        """Adds ``organization``; a name of it that already names another one, or that has
        neither letters nor digits, is refused (``ValueError``), or when not ``strict`` is
        simply not one it is found by (the first to hold a name keeps it)."""
        clashes = self.clashes(organization)
        if strict and clashes:
            name, other = clashes[0]
            raise ValueError(f"{name!r} already names {other.name}")
        if strict and not all(key(name) for name in organization.names):
            raise ValueError("each of an organization's names has letters or digits")
        self.organizations.append(organization)
        for name_key in map(key, organization.names):
            if name_key:
                self._by_key.setdefault(name_key, organization)

    def adding(self, organizations: Iterable[Organization]) -> Directory:
        """This directory and ``organizations`` (it is left as it was), the latter as recorded:
        a name that two recorded at once is found for the first only."""
        directory = Directory(list(self.organizations))
        for organization in organizations:
            directory.add(organization, strict=False)
        return directory

    def find(self, name: str) -> Organization | None:
        """The organization one of whose names ``name`` is (loosely), else ``None``; "Office on
        Drugs and Crime (UNODC)", a name with an abbreviation in brackets, is found by either."""
        found = self._by_key.get(key(name))
        both = _WITH_ABBREVIATION.match(name)
        if found is None and both:
            named, abbreviated = (self._by_key.get(key(part)) for part in both.groups())
            found = named or abbreviated if named is None or abbreviated is None or named is abbreviated else None
        return found

    def close_to(self, name: str, count: int = 3) -> list[str]:
        """The names nearest to ``name`` (what the user may have meant), each once."""
        near = difflib.get_close_matches(key(name), list(self._by_key), n=count * 2, cutoff=0.6)
        names = dict.fromkeys(self._by_key[k].name for k in near)
        return list(names)[:count]

    def __iter__(self) -> Iterator[Organization]:
        return iter(sorted(self.organizations, key=lambda o: key(o.name)))

    def __len__(self) -> int:
        return len(self.organizations)


def _section(section: str, *organizations: Organization) -> list[Organization]:
    return [Organization(o.name, o.abbreviations, o.kind, o.also_known_as, o.part_of, f"2003 annex, section {section}")
            for o in organizations]


_O = Organization

ANNEX_2003: tuple[Organization, ...] = tuple([
    # I. Intergovernmental organizations having received a standing invitation to participate as
    # observers in the sessions and the work of the General Assembly and/or maintaining
    # permanent offices at Headquarters
    *_section(
        "I",
        _O("African Union", ("AU",), "regional"),
        _O("African Development Bank", ("AfDB",), "regional"),
        _O("Asian-African Legal Consultative Organization", ("AALCO",), "regional"),
        _O("Asian Development Bank", ("ADB", "AsDB"), "regional"),
        _O("Caribbean Community", ("CARICOM",), "subregional"),
        _O("Commonwealth Secretariat", (), "international"),
        _O("Commonwealth of Independent States", ("CIS",), "regional"),
        _O("Anti-Terrorism Center of the Commonwealth of Independent States", ("CIS ATC",), "regional",
           ("CIS Anti-Terrorism Center", "CIS Anti-Terrorist Centre", "Anti-Terrorist Centre of the Commonwealth of Independent States",
            "Commonwealth of Independent States Anti-Terrorism Center"),
           "Commonwealth of Independent States"),
        _O("Executive Committee of the Commonwealth of Independent States", (), "regional",
           ("CIS Executive Committee",), "Commonwealth of Independent States"),
        _O("Council of Europe", ("CoE",), "regional"),
        _O("Committee of Experts on the Evaluation of Anti-Money Laundering Measures and the Financing of Terrorism",
           ("MONEYVAL",), "regional", ("Moneyval Committee",), "Council of Europe"),
        _O("European Union", ("EU",), "regional"),
        _O("Presidency of the Council of the European Union", (), "regional",
           ("Presidency of the European Union", "EU Presidency"), "European Union"),
        _O("European Commission", ("EC",), "regional", (), "European Union"),
        _O("Inter-American Development Bank", ("IDB", "IADB"), "regional"),
        _O("Inter-Parliamentary Union", ("IPU",), "international"),
        _O("International Criminal Police Organization", ("INTERPOL", "ICPO"), "international"),
        _O("International Organization for Migration", ("IOM",), "international"),
        _O("International Organisation of La Francophonie", ("OIF",), "international",
           ("Organisation internationale de la Francophonie",)),
        _O("League of Arab States", ("LAS",), "regional", ("Arab League",)),
        _O("Organisation of Islamic Cooperation", ("OIC",), "international", ("Organization of the Islamic Conference",)),
        _O("Organization for Security and Co-operation in Europe", ("OSCE",), "regional"),
        _O("Organization of American States", ("OAS",), "regional"),
        _O("Inter-American Committee against Terrorism", ("CICTE",), "regional", (), "Organization of American States"),
        _O("Pacific Islands Forum", ("PIF",), "subregional"),
    ),
    # II. Other relevant organizations and bodies
    *_section(
        "II",
        _O("Asia-Pacific Economic Cooperation", ("APEC",), "regional"),
        _O("Association of Southeast Asian Nations", ("ASEAN",), "subregional"),
        _O("Bank for International Settlements", ("BIS",), "international", ("Bank of International Settlements",)),
        _O("Basel Committee on Banking Supervision", ("BCBS",), "international",
           ("Bank of International Settlements - Basel Committee on Banking Supervision",),
           "Bank for International Settlements"),
        _O("Caribbean Development Bank", ("CDB",), "subregional"),
        _O("Caribbean Financial Action Task Force", ("CFATF",), "subregional"),
        _O("Eastern and Southern Africa Anti-Money Laundering Group", ("ESAAMLG",), "subregional"),
        _O("Economic Community of West African States", ("ECOWAS",), "subregional"),
        _O("Egmont Group of Financial Intelligence Units", (), "international", ("Egmont Group",)),
        _O("European Union Agency for Law Enforcement Cooperation", ("Europol",), "regional",
           ("European Police Office",), "European Union"),
        _O("Financial Action Task Force", ("FATF", "GAFI"), "international"),
        _O("Financial Action Task Force of Latin America", ("GAFILAT", "GAFISUD"), "regional",
           ("Financial Action Task Force for South America", "Financial Action Task Force on Money Laundering in South America")),
        _O("GUAM Organization for Democracy and Economic Development", ("GUAM", "GUUAM"), "subregional",
           ("Georgia, Ukraine, Azerbaijan, Republic of Moldova Group",)),
        _O("Gulf Cooperation Council", ("GCC",), "subregional", ("Cooperation Council for the Arab States of the Gulf",)),
        _O("International Association of Insurance Supervisors", ("IAIS",), "international"),
        _O("International Bar Association", ("IBA",), "international"),
        _O("International Peace Institute", ("IPI",), "international", ("International Peace Academy",)),
        _O("International Organization of Securities Commissions", ("IOSCO",), "international"),
        _O("Islamic Development Bank", ("IsDB",), "international"),
        _O("North Atlantic Treaty Organization", ("NATO", "OTAN"), "regional"),
        _O("Group of International Finance Centre Supervisors", ("GIFCS", "OGBS"), "international",
           ("Offshore Group of Banking Supervisors",)),
        _O("Shanghai Cooperation Organisation", ("SCO",), "regional"),
        _O("South Asian Association for Regional Cooperation", ("SAARC",), "subregional"),
        _O("Southern African Development Community", ("SADC",), "subregional"),
        _O("South-East European Cooperation Process", ("SEECP",), "subregional"),
        _O("Southeast European Law Enforcement Center", ("SELEC", "SECI"), "subregional",
           ("Southeast European Cooperative Initiative", "South European Cooperation Initiative")),
        _O("World Customs Organization", ("WCO",), "international"),
    ),
    # III. Specialized agencies/United Nations funds and programmes
    *_section(
        "III",
        _O("International Atomic Energy Agency", ("IAEA",), "un_body"),
        _O("International Civil Aviation Organization", ("ICAO",), "un_body"),
        _O("International Monetary Fund", ("IMF",), "un_body"),
        _O("International Maritime Organization", ("IMO",), "un_body"),
        _O("United Nations Office on Drugs and Crime", ("UNODC",), "un_body",
           ("Office on Drugs and Crime", "UN Office on Drugs and Crime")),
        _O("Global Programme against Terrorism", (), "un_body", ("Global Programme on Terrorism",),
           "United Nations Office on Drugs and Crime"),
        _O("Global Programme against Money Laundering", ("GPML",), "un_body", (),
           "United Nations Office on Drugs and Crime"),
        _O("Office of the United Nations High Commissioner for Human Rights", ("OHCHR",), "un_body",
           ("UN Human Rights",)),
        _O("Organisation for the Prohibition of Chemical Weapons", ("OPCW",), "un_body"),
        _O("International Telecommunication Union", ("ITU",), "un_body"),
        _O("Universal Postal Union", ("UPU",), "un_body"),
        _O("United Nations Development Programme", ("UNDP",), "un_body"),
        _O("United Nations Interregional Crime and Justice Research Institute", ("UNICRI",), "un_body"),
        _O("United Nations Children's Fund", ("UNICEF",), "un_body"),
        _O("World Bank", ("IBRD",), "un_body", ("International Bank for Reconstruction and Development",)),
        _O("World Health Organization", ("WHO",), "un_body"),
    ),
])

REFERENCE = Directory(list(ANNEX_2003))


@lru_cache(maxsize=8192)
def common_name(name: str) -> str:
    """The name the reference list gives the organization called ``name`` (itself if it is
    not listed): how a record written before the directory, or under another of its names,
    is counted with the others."""
    found = REFERENCE.find(name)
    return found.name if found is not None else name


def same(one: str, other: str) -> bool:
    """Whether two names name one organization (by the reference list, or loosely alike)."""
    return key(common_name(one)) == key(common_name(other))

"""Declarative layouts of the CBS (and justice) delivery tables.

One registry serves the synthetic generator (what to write) and the ingest layer
(what to expect). Column names follow ``../shared/reference/cbs-layouts.md``; layouts
marked there as proposals ([P]) are used as proposed. A delivery whose columns differ is fitted without
editing this module: a ``layouts.toml`` at the top of the delivery folder, or a project file given with
``warehouse ingest --layouts FILE`` (both: the delivery's file wins per key), renames delivered columns per
table and per file year, adds sentinels (loaded as NULL) and extra codes of a code-list column; it is
validated before anything is loaded and recorded in ``meta.layout_overrides`` (:mod:`warehouse.ingest.overrides`,
``docs/layout-overrides.md``). A remap is applied as an alias of the layout column, sentinels extend
``Column.sentinels`` (and ``Column.null_values``), codes ``Column.extra_codes``, for that ingest only.
:data:`COLUMN_REMAPS` holds remaps that ship with the code (empty: every known alias is in ``Column.aliases``).

Column kinds
------------
``rin``   A9 pseudonymised person key, kept as a zero-padded string
``rins``  A1 RINPERSOONS code
``date``  A8 ``YYYYMMDD`` string (sentinels allowed per column)
``code``  short string code, optionally checked against a seed code list
``int``   integer count (F format)
``num``   numeric amount (F format, may be negative)
``str``   free string (ids such as HUISHOUDNR, OMZAAKNUMMER)

Column meanings
---------------
The kind says how a value is written; the *meaning* says which values make sense. The contract
rules of :mod:`warehouse.ingest.contracts` are derived from the meaning (one home per rule). A
column without an explicit meaning takes the default of its kind (``rin``/``rins`` -> key,
``date`` -> date, ``code`` -> code, ``int`` -> count, ``num`` -> amount, ``str`` -> text).

``key``     person key or id (checked by the person-key / not-null rules)
``code``    a code (checked against its code list when it has one)
``text``    free text, not checked
``date``    an event date ``YYYYMMDD`` between :data:`MIN_DATE` and 31 December of the reference
            year + 1 (reference year: the later of the file year and the calendar year of ingest)
``year``    a 4-digit year between :data:`MIN_YEAR` and the reference year (+ ``high`` offset)
``month``   1..12 (one or two digits)
``day``     1..31 (one or two digits); year/month/day columns listed in ``TableLayout.date_parts``
            must also form an existing calendar date
``count``   a whole number between ``low`` (default 0) and ``high`` (default :data:`MAX_COUNT`)
``amount``  a finite number with ``|x| <`` :data:`MAX_AMOUNT` (rejects ``inf``, ``nan`` and
            overflow such as ``1e308`` or ``1e400``), or between ``low`` and ``high`` when given

Sentinels of a column (``----``, ``--``, open-end dates) are always allowed and loaded as delivered (the
staging models read them); sentinels added by a ``layouts.toml`` are allowed and loaded as NULL. Empty values
are allowed except in key and spell columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["rin", "rins", "date", "code", "int", "num", "str"]
Meaning = Literal["key", "code", "text", "date", "year", "month", "day", "count", "amount"]

#: Earliest plausible date or year in any delivered column (births of the oldest registered persons).
MIN_DATE = "1850-01-01"
MIN_YEAR = 1850
#: Default upper bound of a count (persons in a household, offences in a case, ...).
MAX_COUNT = 100_000
#: Money amounts (and other numeric measures) must be finite with an absolute value below this:
#: far above any real per-person amount in euro, far below the float overflow range.
MAX_AMOUNT = 1e12

_DEFAULT_MEANING: dict[str, Meaning] = {
    "rin": "key",
    "rins": "key",
    "date": "date",
    "code": "code",
    "int": "count",
    "num": "amount",
    "str": "text",
}

#: End dates that mean "still running" in some CBS table (cbs-layouts.md §1.4).
OPEN_END_SENTINELS: tuple[str, ...] = ("88888888", "88881231", "99991231", "20501231")
#: Masked person key (cbs-layouts.md §1.3).
MASKED_RIN = "---------"
#: Code lists (seed names) whose unknown codes reject a delivery even without ``--strict-codes``.
#: Every other list keeps and flags an unknown code (``meta.unknown_codes``): the shipped lists are
#: partial, and one real code missing from a seed must not reject a whole file.
STRICT_CODELISTS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Column:
    """One delivered column."""

    name: str
    kind: ColumnKind
    required: bool = True
    codelist: str | None = None  # name of a seed with a ``code`` column
    sentinels: tuple[str, ...] = ()  # raw values that mean unknown / masked
    aliases: tuple[str, ...] = ()  # other names seen in real deliveries
    width: int | None = None
    meaning: Meaning | None = None  # None: the default meaning of the kind
    low: float | None = None  # plausible range (see the module docstring for the defaults)
    high: float | None = None  # for ``year``: years allowed after the reference year
    #: sentinels loaded as NULL (those of a ``layouts.toml``; the built-in ones are loaded as delivered)
    null_values: tuple[str, ...] = ()
    extra_codes: tuple[str, ...] = ()  # codes accepted beside the code list (from a ``layouts.toml``)

    @property
    def means(self) -> Meaning:
        """The column's meaning (explicit, or the default of its kind)."""
        return self.meaning or _DEFAULT_MEANING[self.kind]


@dataclass(frozen=True, slots=True)
class TableLayout:
    """One CBS table (a family of files: per version, possibly one per year)."""

    name: str  # logical name, also the raw table name
    file_stem: str  # file-name stem, e.g. GBAPERSOON
    file_regex: str  # regex over the upper-cased file name without extension
    columns: tuple[Column, ...]
    per_year: bool = False  # one file per reference year (TAB per year)
    key: tuple[str, ...] = ()  # unique key within one file
    spell: tuple[str, str] | None = None  # (start, end) columns of a spell table
    spell_entity: tuple[str, ...] = ()  # entity whose spells must not overlap
    proposal: bool = False  # layout is a [P] proposal in cbs-layouts.md
    #: an optional input: the models fall back to another table when it is not delivered (or has no row for
    #: an entity), so results without it are complete but coarser (docs/justice-data.md). Every layout's raw
    #: table and ``source_current`` view exist from the first ingest on, empty while the table was never
    #: delivered, so a missing table never breaks the dbt build; this flag documents which absences are designed.
    optional: bool = False
    description: str = ""
    generated_years: tuple[int, int] | None = None  # years the generator writes
    date_parts: tuple[tuple[str, str, str], ...] = ()  # (year, month, day) columns that form one date

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def file_name(self, year: int, version: int = 1) -> str:
        """The CBS file name (without extension) for a reference year and version."""
        return FILE_NAME_FORMATS[self.name].format(year=year, version=version)

    def match(self, file_name_no_ext: str) -> re.Match[str] | None:
        return re.fullmatch(self.file_regex, file_name_no_ext.upper().strip())


def _person(required: bool = True) -> tuple[Column, Column]:
    return (
        Column("RINPERSOONS", "rins", required, codelist="rinpersoons", width=1),
        Column("RINPERSOON", "rin", required, sentinels=(MASKED_RIN,), width=9),
    )


_DASH1 = ("-",)
_DASH2 = ("--",)
_DASH4 = ("----", "0000")

_year_tab = r"(?:VRL)?{stem}\s?(?P<year>\d{{4}})TABV(?P<version>\d+)"
_year_bus = r"(?:VRL)?{stem}(?P<year>\d{{4}})BUSV(?P<version>\d+)"

LAYOUTS: dict[str, TableLayout] = {}


def _register(layout: TableLayout, name_format: str) -> None:
    LAYOUTS[layout.name] = layout
    FILE_NAME_FORMATS[layout.name] = name_format


FILE_NAME_FORMATS: dict[str, str] = {}

_register(
    TableLayout(
        name="gbapersoontab",
        file_stem="GBAPERSOON",
        file_regex=_year_tab.format(stem="GBAPERSOON"),
        description="Persons ever registered in the GBA/BRP since 1 October 1994.",
        key=("RINPERSOONS", "RINPERSOON"),
        date_parts=(("GBAGEBOORTEJAAR", "GBAGEBOORTEMAAND", "GBAGEBOORTEDAG"),),
        columns=(
            *_person(),
            Column("GBAGESLACHT", "code", codelist="sex", sentinels=_DASH1, width=1),
            Column("GBAGEBOORTEJAAR", "code", sentinels=("----",), width=4, meaning="year"),
            Column("GBAGEBOORTEMAAND", "code", sentinels=_DASH2, width=2, meaning="month"),
            Column("GBAGEBOORTEDAG", "code", sentinels=_DASH2, width=2, meaning="day"),
            Column("GBAGEBOORTELAND", "code", codelist="countries", sentinels=_DASH4, width=4),
            Column("GBAGEBOORTELANDMOEDER", "code", codelist="countries", sentinels=_DASH4, width=4),
            Column("GBAGEBOORTELANDVADER", "code", codelist="countries", sentinels=_DASH4, width=4),
            Column("GBAAANTALOUDERSBUITENLAND", "code", sentinels=("-", ""), width=1),
            Column("GBAHERKOMSTGROEPERING", "code", codelist="countries", sentinels=_DASH4, width=4),
            Column("GBAGENERATIE", "code", sentinels=_DASH1, width=1),
            Column("GBAIMPUTATIECODE", "code", required=False, width=1),
        ),
    ),
    "GBAPERSOON{year}TABV{version}",
)

_register(
    TableLayout(
        name="gbaoverlijdentab",
        file_stem="GBAOVERLIJDEN",
        file_regex=_year_tab.format(stem="GBAOVERLIJDEN"),
        description="Deaths of registered persons (added to the study's sources, SPEC §1.2.1 [IMPL]).",
        key=("RINPERSOONS", "RINPERSOON"),
        proposal=True,
        columns=(*_person(), Column("GBADATUMOVERLIJDEN", "date", width=8)),
    ),
    "GBAOVERLIJDEN{year}TABV{version}",
)

_register(
    TableLayout(
        name="gbamigratiebus",
        file_stem="GBAMIGRATIE",
        file_regex=_year_bus.format(stem="GBAMIGRATIE"),
        description="Foreign migration events of registered persons (spells).",
        proposal=True,
        key=("RINPERSOONS", "RINPERSOON", "GBADATUMAANVANGMIGRATIE"),
        spell=("GBADATUMAANVANGMIGRATIE", "GBADATUMEINDEMIGRATIE"),
        spell_entity=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("GBADATUMAANVANGMIGRATIE", "date", width=8),
            Column("GBADATUMEINDEMIGRATIE", "date", width=8),
            Column("GBAMIGRATIESOORT", "code", codelist="migration_types", width=1),
            Column("GBALANDHERKOMSTBESTEMMING", "code", codelist="countries", sentinels=_DASH4, width=4),
            Column("GBAPUBLICATIEJAAR", "code", required=False, width=4, meaning="year", high=1),
        ),
    ),
    "GBAMIGRATIE{year}BUSV{version}",
)

_register(
    TableLayout(
        name="gbahuishoudensbus",
        file_stem="GBAHUISHOUDENS",
        file_regex=_year_bus.format(stem="GBAHUISHOUDENS"),
        description="Household spells: person x household composition, from 1 October 1994.",
        key=("RINPERSOONS", "RINPERSOON", "DATUMAANVANGHH"),
        spell=("DATUMAANVANGHH", "DATUMEINDEHH"),
        spell_entity=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("DATUMAANVANGHH", "date", width=8),
            Column("DATUMEINDEHH", "date", width=8),
            Column("HUISHOUDNR", "str", width=12),
            Column("TYPHH", "code", codelist="household_types", sentinels=("",), width=1),
            Column("PLHH", "code", codelist="household_positions", sentinels=("",), width=2),
            Column("REFPERSOONHH", "code", width=1),
            # institutional households (care homes, prisons) can have some thousands of members
            Column("AANTALPERSHH", "int", width=4, meaning="count", low=0, high=10_000),
            Column("AANTALKINDHH", "int", required=False, width=2, meaning="count", low=0, high=10_000),
            Column("AANTALOVHH", "int", required=False, width=2, meaning="count", low=0, high=10_000),
            Column("GEBJAARJONGSTEKINDHH", "code", required=False, sentinels=("----",), width=4, meaning="year"),
            Column("GEBMAANDJONGSTEKINDHH", "code", required=False, sentinels=_DASH2, width=2, meaning="month"),
            Column("GEBJAAROUDSTEKINDHH", "code", required=False, sentinels=("----",), width=4, meaning="year"),
            Column("GEBMAANDOUDSTEKINDHH", "code", required=False, sentinels=_DASH2, width=2, meaning="month"),
            Column("IMPUTATIECODEHH", "code", required=False, width=1),
        ),
    ),
    "GBAHUISHOUDENS{year}BUSV{version}",
)

_register(
    TableLayout(
        name="kindoudertab",
        file_stem="KINDOUDER",
        file_regex=_year_tab.format(stem="KINDOUDER"),
        description="Child -> legal mother and father.",
        key=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("RINPERSOONSPA", "rins", codelist="rinpersoons", aliases=("RINPERSOONSpa",), width=1),
            Column("RINPERSOONPA", "rin", sentinels=(MASKED_RIN,), aliases=("RINPERSOONpa",), width=9),
            Column("RINPERSOONSMA", "rins", codelist="rinpersoons", aliases=("RINPERSOONSMa",), width=1),
            Column("RINPERSOONMA", "rin", sentinels=(MASKED_RIN,), aliases=("RINPERSOONMa",), width=9),
            Column("XKOPPELNUMMER", "code", required=False, width=2),
        ),
    ),
    "KINDOUDER{year}TABV{version}",
)

_register(
    TableLayout(
        name="hoogsteopltab",
        file_stem="HOOGSTEOPL",
        file_regex=_year_tab.format(stem="HOOGSTEOPL"),
        per_year=True,
        generated_years=(1999, 2021),
        description="Highest followed/attained education on 1 October of the file year.",
        key=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("OPLNRHB", "code", required=False, sentinels=_DASH4),
            Column("OPLNRHG", "code", required=False, sentinels=_DASH4),
            # SOI-2016 names up to 2018, SOI-2021 names (with lower-case 'met') from 2019
            Column(
                "OPLNIVSOI2021AGG4HBMETNIRWO",
                "code",
                codelist="education_levels",
                sentinels=("----", "9999"),
                aliases=("OPLNIVSOI2016AGG4HBMETNIRWO",),
                width=4,
            ),
            Column(
                "OPLNIVSOI2021AGG4HGMETNIRWO",
                "code",
                codelist="education_levels",
                sentinels=("----", "9999"),
                aliases=("OPLNIVSOI2016AGG4HGMETNIRWO",),
                width=4,
            ),
            Column("GEWICHTHOOGSTEOPL", "num", required=False, meaning="amount", low=0, high=MAX_AMOUNT),
        ),
    ),
    "HOOGSTEOPL{year}TABV{version}",
)

_ZVW_COST_COLUMNS = (
    "ZVWKHUISARTS",
    "ZVWKFARMACIE",
    "ZVWKZIEKENHUIS",
    "ZVWKEERSTELIJNSPSYCHO",
    "ZVWKGGZ",
    "ZVWKGENBASGGZ",
    "ZVWKSPECGGZ",
)

_register(
    TableLayout(
        name="zvwzorgkostentab",
        file_stem="ZVWZORGKOSTEN",
        file_regex=_year_tab.format(stem="ZVWZORGKOSTEN"),
        per_year=True,
        generated_years=(2009, 2020),
        description="Basic health-insurance (Zvw) costs per insured person per year.",
        key=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("ZVWKOPHOOGFACTOR", "num", required=False, meaning="amount", low=0, high=MAX_AMOUNT),
            # costs in euro; negative amounts are corrections
            *(Column(name, "num", required=False, meaning="amount") for name in _ZVW_COST_COLUMNS),
            Column("ZVWKTOTAAL", "num", required=False, meaning="amount"),
        ),
    ),
    "ZVWZORGKOSTEN{year}TABV{version}",
)

_SECM_FLAGS = (
    "XKOPPELWERKNSECM",
    "XKOPPELDGASECM",
    "XKOPPELZELFSTSECM",
    "XKOPPELOVACTIEFSECM",
    "XKOPPELMEEWERKENDSECM",
    "XKOPPELWERKLUITKSECM",
    "XKOPPELBIJSTANDSECM",
    "XKOPPELSOCVOORZOVSECM",
    "XKOPPELZIEKTEAOSECM",
    "XKOPPELPENSIOENSECM",
    "XKOPPELSCHOLSTUDSECM",
)

_register(
    TableLayout(
        name="secmbus",
        file_stem="SECMBUS",
        file_regex=r"(?:VRL)?SECMBUS\s?(?P<year>\d{4})V(?P<version>\d+)",
        description="Socio-economic category per month (spells), from January 1999.",
        key=("RINPERSOONS", "RINPERSOON", "AANVSECM"),
        spell=("AANVSECM", "EINDSECM"),
        spell_entity=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("AANVSECM", "date", width=8),
            Column("EINDSECM", "date", width=8),
            Column("SECM", "code", codelist="secm_codes", sentinels=("",), width=2),
            *(Column(flag, "code", required=False, sentinels=("",), width=1) for flag in _SECM_FLAGS),
        ),
    ),
    "SECMBUS{year}V{version}",
)

_CASE_COLUMNS = (
    Column("OMZAAKNUMMER", "str", width=12),
    Column("OMDATUMINSCHRIJVING", "date", width=8),
    Column("OMSOORTVERDACHTE", "code", width=1),
    Column("OMDATUMPLEGEN", "date", sentinels=("--------",), width=8),
    Column("OMZWAARSTEFEITSCM", "code", codelist="offence_codes", sentinels=("",), width=8),
    Column("OMZWAARSTEFEITARTIKEL", "str", required=False, width=12),
    Column("OMAANTALFEITEN", "int", width=3, meaning="count", low=0, high=10_000),
    Column("OMPARKET", "code", required=False, width=2),
)

_register(
    TableLayout(
        name="instroomomtab",
        file_stem="INSTROOMOM",
        file_regex=_year_tab.format(stem="INSTROOMOM"),
        per_year=True,
        generated_years=(2001, 2021),
        proposal=True,
        description="Criminal cases registered at the OM in the file year (one row per case x suspect).",
        key=("OMZAAKNUMMER",),
        columns=(*_person(), *_CASE_COLUMNS),
    ),
    "INSTROOMOM{year}TABV{version}",
)

_OFFENCE_COLUMNS = (
    Column("OMZAAKNUMMER", "str", width=12),
    Column("OMFEITVOLGNR", "int", width=3, meaning="count", low=0, high=10_000),
    Column("OMFEITSCM", "code", codelist="offence_codes", sentinels=("",), width=8),
    Column("OMFEITARTIKEL", "str", required=False, width=12),
    # maximum prison term in years (life imprisonment has no upper number in the code: allow up to 100)
    Column("OMFEITMAXSTRAFJAREN", "num", required=False, width=5, meaning="amount", low=0, high=100),
)

_register(
    TableLayout(
        name="instroomomfeittab",
        file_stem="INSTROOMOMFEIT",
        file_regex=_year_tab.format(stem="INSTROOMOMFEIT"),
        per_year=True,
        generated_years=(2001, 2021),
        proposal=True,
        # without it a case's offence category comes from INSTROOMOMTAB.OMZWAARSTEFEITSCM (int_case_categories)
        optional=True,
        description=(
            "Offences of the OM cases registered in the file year (one row per case x offence). Optional: "
            "without it an OM case is classified by the case file's most serious offence code."
        ),
        key=("OMZAAKNUMMER", "OMFEITVOLGNR"),
        columns=_OFFENCE_COLUMNS,
    ),
    "INSTROOMOMFEIT{year}TABV{version}",
)

_register(
    TableLayout(
        name="objdtab",
        file_stem="OBJD",
        file_regex=r"OBJD\s?(?P<year>\d{4})TABV(?P<version>\d+)",
        proposal=True,
        description=(
            "WODC research extract (OBJD) of the complete registered careers of the study sample: "
            "one row per case x offence, all years from age 12."
        ),
        key=("OMZAAKNUMMER", "OMFEITVOLGNR"),
        columns=(
            *_person(),
            Column("OMZAAKNUMMER", "str", width=12),
            Column("OMDATUMINSCHRIJVING", "date", width=8),
            Column("OMDATUMPLEGEN", "date", sentinels=("--------",), width=8),
            *_OFFENCE_COLUMNS[1:],
            Column("OMAFDOENING", "code", required=False, codelist="case_decisions", width=2),
        ),
    ),
    "OBJD{year}TABV{version}",
)

_register(
    TableLayout(
        name="gedetineerdentab",
        file_stem="GEDETINEERDEN",
        file_regex=_year_tab.format(stem="GEDETINEERDEN"),
        per_year=True,
        generated_years=(1999, 2021),
        proposal=True,
        description="Detention spells by year of inflow (DJI).",
        key=("RINPERSOONS", "RINPERSOON", "DETDATUMINSTROOM"),
        spell=("DETDATUMINSTROOM", "DETDATUMUITSTROOM"),
        spell_entity=("RINPERSOONS", "RINPERSOON"),
        columns=(
            *_person(),
            Column("DETDATUMINSTROOM", "date", width=8),
            Column("DETDATUMUITSTROOM", "date", width=8),
            Column("DETTITEL", "code", required=False, width=2),
            Column("DETINRICHTINGTYPE", "code", required=False, width=2),
        ),
    ),
    "GEDETINEERDEN{year}TABV{version}",
)

_register(
    TableLayout(
        name="mensenhandeltab",
        file_stem="MENSENHANDELZAKEN",
        file_regex=r"MENSENHANDELZAKEN\s?(?P<year>\d{4})TABV(?P<version>\d+)",
        proposal=True,
        description=(
            "Trafficking case register (OM-data/RAC-min plus case files): one row per trafficking case x suspect "
            "with the form of exploitation, domestic flag and whether the suspect was summoned."
        ),
        key=("OMZAAKNUMMER",),
        columns=(
            *_person(),
            Column("OMZAAKNUMMER", "str", width=12),
            Column("OMDATUMINSCHRIJVING", "date", width=8),
            Column("MHVORM", "code", codelist="trafficking_forms", width=2),
            Column("MHBINNENLANDS", "code", width=1),
            Column("MHGEDAGVAARD", "code", width=1),
            Column("MHVONNIS", "code", required=False, codelist="case_decisions", width=2),
        ),
    ),
    "MENSENHANDELZAKEN{year}TABV{version}",
)

#: Per-table column remaps (delivered name -> layout name) shipped with the code, used only when the layout
#: name itself is not delivered. A researcher uses a ``layouts.toml`` instead (warehouse.ingest.overrides).
COLUMN_REMAPS: dict[str, dict[str, str]] = {name: {} for name in LAYOUTS}


def identify(file_name_no_ext: str) -> tuple[TableLayout, int, int] | None:
    """Recognise a delivered file by its CBS name; returns (layout, year, version)."""
    # longest stems first so INSTROOMOMFEIT is not taken for INSTROOMOM
    for layout in sorted(LAYOUTS.values(), key=lambda lay: -len(lay.file_stem)):
        match = layout.match(file_name_no_ext)
        if match:
            return layout, int(match.group("year")), int(match.group("version"))
    return None


@dataclass(frozen=True, slots=True)
class DeliveryTable:
    """A file recognised in a delivery folder."""

    layout: TableLayout
    year: int
    version: int
    path: str
    extras: dict[str, str] = field(default_factory=dict)

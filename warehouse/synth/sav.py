"""SPSS ``.sav`` files as CBS ships them (``generate --format sav``).

The generator renders every table as text (the csv values); this module turns one table into the
typed SPSS file CBS delivers:

* a column whose layout meaning is a date becomes a numeric SPSS ``DATE11`` column (the ingest
  reads it back as ``YYYYMMDD``) when every value in the file is a ``YYYYMMDD`` date or empty; a
  file with a sentinel that is no date (``--------`` in OMDATUMPLEGEN) keeps the column as ``A8``;
* a count column and a year or month column becomes numeric ``F<w>.0`` when every value is a
  whole number written without leading zeros (so the ingest reads the same text back); a column
  with a sentinel (``----``) or zero-padded values (months ``01``..``09``) stays a string;
* amounts (``num``) are numeric ``F``; codes, keys and ids stay strings ``A<w>`` (leading zeros kept);
* every column has a variable label (Dutch, from :data:`VARIABLE_LABELS`, else the column name and
  the table description), and a few code columns carry value labels (:func:`value_labels`: sex
  ``1 = Man, 2 = Vrouw``, RINPERSOONS, household type and position, migration type, SECM).

Every value the ingest loads equals the csv delivery's value of the same seed.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from ..config import SEEDS_DIR
from ..layouts import LAYOUTS, Column

#: the SPSS display format of a date column (``dd-mmm-yyyy``)
DATE_FORMAT = "DATE11"
#: meanings written as whole numbers when the file's values allow it
INTEGRAL_MEANINGS = {"count", "year", "month"}

VARIABLE_LABELS: dict[str, str] = {
    "RINPERSOONS": "Soort RIN-persoonsnummer",
    "RINPERSOON": "RIN-persoonsnummer",
    "GBAGESLACHT": "Geslacht",
    "GBAGEBOORTEJAAR": "Geboortejaar",
    "GBAGEBOORTEMAAND": "Geboortemaand",
    "GBAGEBOORTEDAG": "Geboortedag",
    "GBAGEBOORTELAND": "Geboorteland",
    "GBAGEBOORTELANDMOEDER": "Geboorteland moeder",
    "GBAGEBOORTELANDVADER": "Geboorteland vader",
    "GBAAANTALOUDERSBUITENLAND": "Aantal ouders in het buitenland geboren",
    "GBAHERKOMSTGROEPERING": "Herkomstgroepering",
    "GBAGENERATIE": "Generatie",
    "GBAIMPUTATIECODE": "Imputatiecode",
    "GBADATUMOVERLIJDEN": "Datum overlijden",
    "GBADATUMAANVANGMIGRATIE": "Datum aanvang migratie",
    "GBADATUMEINDEMIGRATIE": "Datum einde migratie",
    "GBAMIGRATIESOORT": "Soort migratie",
    "GBALANDHERKOMSTBESTEMMING": "Land van herkomst of bestemming",
    "GBAPUBLICATIEJAAR": "Publicatiejaar",
    "DATUMAANVANGHH": "Datum aanvang huishouden",
    "DATUMEINDEHH": "Datum einde huishouden",
    "HUISHOUDNR": "Huishoudnummer",
    "TYPHH": "Type huishouden",
    "PLHH": "Plaats in het huishouden",
    "REFPERSOONHH": "Referentiepersoon huishouden",
    "AANTALPERSHH": "Aantal personen in het huishouden",
    "AANTALKINDHH": "Aantal kinderen in het huishouden",
    "AANTALOVHH": "Aantal overige leden in het huishouden",
    "GEBJAARJONGSTEKINDHH": "Geboortejaar jongste kind in het huishouden",
    "GEBMAANDJONGSTEKINDHH": "Geboortemaand jongste kind in het huishouden",
    "GEBJAAROUDSTEKINDHH": "Geboortejaar oudste kind in het huishouden",
    "GEBMAANDOUDSTEKINDHH": "Geboortemaand oudste kind in het huishouden",
    "IMPUTATIECODEHH": "Imputatiecode huishouden",
    "RINPERSOONSPA": "Soort RIN-persoonsnummer vader",
    "RINPERSOONPA": "RIN-persoonsnummer vader",
    "RINPERSOONSMA": "Soort RIN-persoonsnummer moeder",
    "RINPERSOONMA": "RIN-persoonsnummer moeder",
    "XKOPPELNUMMER": "Koppelindicator",
    "OPLNRHB": "Opleidingsnummer hoogst behaalde opleiding",
    "OPLNRHG": "Opleidingsnummer hoogst gevolgde opleiding",
    "OPLNIVSOI2021AGG4HBMETNIRWO": "Opleidingsniveau hoogst behaald (SOI 2021, 4 cijfers)",
    "OPLNIVSOI2021AGG4HGMETNIRWO": "Opleidingsniveau hoogst gevolgd (SOI 2021, 4 cijfers)",
    "GEWICHTHOOGSTEOPL": "Ophooggewicht hoogste opleiding",
    "ZVWKOPHOOGFACTOR": "Ophoogfactor zorgkosten",
    "ZVWKHUISARTS": "Zorgkosten huisarts (euro)",
    "ZVWKFARMACIE": "Zorgkosten farmacie (euro)",
    "ZVWKZIEKENHUIS": "Zorgkosten ziekenhuis (euro)",
    "ZVWKEERSTELIJNSPSYCHO": "Zorgkosten eerstelijnspsychologische zorg (euro)",
    "ZVWKGGZ": "Zorgkosten geestelijke gezondheidszorg (euro)",
    "ZVWKGENBASGGZ": "Zorgkosten generalistische basis-ggz (euro)",
    "ZVWKSPECGGZ": "Zorgkosten specialistische ggz (euro)",
    "ZVWKTOTAAL": "Zorgkosten totaal (euro)",
    "AANVSECM": "Datum aanvang sociaaleconomische categorie",
    "EINDSECM": "Datum einde sociaaleconomische categorie",
    "SECM": "Sociaaleconomische categorie",
    "XKOPPELWERKNSECM": "Indicator werknemer",
    "XKOPPELDGASECM": "Indicator directeur-grootaandeelhouder",
    "XKOPPELZELFSTSECM": "Indicator zelfstandige",
    "XKOPPELOVACTIEFSECM": "Indicator overig actief",
    "XKOPPELMEEWERKENDSECM": "Indicator meewerkend gezinslid",
    "XKOPPELWERKLUITKSECM": "Indicator werkloosheidsuitkering",
    "XKOPPELBIJSTANDSECM": "Indicator bijstandsuitkering",
    "XKOPPELSOCVOORZOVSECM": "Indicator overige sociale voorziening",
    "XKOPPELZIEKTEAOSECM": "Indicator ziekte- of arbeidsongeschiktheidsuitkering",
    "XKOPPELPENSIOENSECM": "Indicator pensioen",
    "XKOPPELSCHOLSTUDSECM": "Indicator scholier of student",
    "OMZAAKNUMMER": "Zaaknummer OM",
    "OMDATUMINSCHRIJVING": "Datum inschrijving zaak",
    "OMSOORTVERDACHTE": "Soort verdachte",
    "OMDATUMPLEGEN": "Pleegdatum",
    "OMZWAARSTEFEITSCM": "Zwaarste feit (standaardclassificatie misdrijven)",
    "OMZWAARSTEFEITARTIKEL": "Wetsartikel zwaarste feit",
    "OMAANTALFEITEN": "Aantal feiten in de zaak",
    "OMPARKET": "Parket",
    "OMFEITVOLGNR": "Volgnummer feit",
    "OMFEITSCM": "Feit (standaardclassificatie misdrijven)",
    "OMFEITARTIKEL": "Wetsartikel feit",
    "OMFEITMAXSTRAFJAREN": "Wettelijke maximumstraf (jaren)",
    "OMAFDOENING": "Afdoening",
    "DETDATUMINSTROOM": "Datum instroom detentie",
    "DETDATUMUITSTROOM": "Datum uitstroom detentie",
    "DETTITEL": "Detentietitel",
    "DETINRICHTINGTYPE": "Type inrichting",
    "MHVORM": "Vorm van uitbuiting",
    "MHBINNENLANDS": "Binnenlandse uitbuiting",
    "MHGEDAGVAARD": "Verdachte gedagvaard",
    "MHVONNIS": "Afdoening of vonnis",
}

#: code columns with value labels: column -> (seed, label column); GBAGESLACHT is fixed below
_VALUE_LABEL_SEEDS = {
    "RINPERSOONS": ("rinpersoons", "label"),
    "TYPHH": ("household_types", "label_nl"),
    "PLHH": ("household_positions", "label_nl"),
    "GBAMIGRATIESOORT": ("migration_types", "label_nl"),
    "SECM": ("secm_codes", "label_nl"),
}
SEX_LABELS = {"1": "Man", "2": "Vrouw"}


@lru_cache(maxsize=None)
def _seed_labels(seed: str, label_column: str) -> tuple[tuple[str, str], ...]:
    with open(SEEDS_DIR / f"{seed}.csv", newline="", encoding="utf-8") as fh:
        return tuple((row["code"], row[label_column]) for row in csv.DictReader(fh))


def value_labels(column: str) -> dict[str, str]:
    """The value labels a generated ``.sav`` file carries for ``column`` (empty for most columns)."""
    if column.upper() == "GBAGESLACHT":
        return dict(SEX_LABELS)
    seed = _VALUE_LABEL_SEEDS.get(column.upper())
    return dict(_seed_labels(*seed)) if seed else {}


def variable_label(table: str, column: str) -> str:
    label = VARIABLE_LABELS.get(column.upper())
    return label if label else f"{column} ({LAYOUTS[table].description.split('.')[0]})"[:120]


def _layout_column(table: str, name: str) -> Column | None:
    for col in LAYOUTS[table].columns:
        if name.upper() == col.name.upper() or name.upper() in (a.upper() for a in col.aliases):
            return col
    return None


def _as_dates(text: pd.Series) -> list | None:
    """``YYYYMMDD`` strings (or empty) as ``datetime.date`` (None for empty); None if any value is no date."""
    out = []
    for value in text.tolist():
        if value == "":
            out.append(None)
            continue
        if len(value) != 8 or not value.isdigit():
            return None
        try:
            out.append(dt.date(int(value[:4]), int(value[4:6]), int(value[6:])))
        except ValueError:
            return None
    return out


def _as_integers(text: pd.Series) -> np.ndarray | None:
    """Whole numbers written without leading zeros (or empty) as floats (NaN for empty); else None."""
    present = text != ""
    values = text[present]
    if not values.map(lambda v: v.isdigit() and str(int(v)) == v).all():
        return None
    out = np.full(len(text), np.nan)
    out[present.to_numpy()] = values.astype("int64").to_numpy(dtype="float64")
    return out


def sav_frame(table: str, df: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict, dict]:
    """One delivery table as typed SPSS columns: (frame, variable formats, variable labels, value labels).

    ``df`` holds the generated values: numbers for ``int``/``num`` columns, text (or null) otherwise."""
    out = pd.DataFrame(index=range(len(df)))
    formats: dict[str, str] = {}
    labels: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for name in df.columns:
        col = _layout_column(table, name)
        kind = col.kind if col else "str"
        means = col.means if col else "text"
        labels[name] = variable_label(table, name)
        series = df[name].reset_index(drop=True)
        if kind in ("int", "num"):
            numbers = pd.to_numeric(series, errors="coerce").astype("float64")
            out[name] = numbers
            finite = numbers[np.isfinite(numbers)]
            if kind == "int":
                digits = len(str(int(finite.abs().max()))) if len(finite) else 1
                formats[name] = f"F{max(digits + bool((finite < 0).any()), col.width or 1)}.0"
            continue
        text = series.astype(object).where(series.notna(), "").astype(str)
        if means == "date":
            dates = _as_dates(text)
            if dates is not None:
                out[name] = pd.Series(dates, dtype=object)
                formats[name] = DATE_FORMAT
                continue
        elif means in INTEGRAL_MEANINGS:
            numbers = _as_integers(text)
            if numbers is not None:
                out[name] = numbers
                formats[name] = f"F{max(1, int(text.str.len().max()) if len(text) else 1, col.width or 1)}.0"
                continue
        out[name] = text
        width = max(1, int(text.str.len().max()) if len(text) else 1)
        formats[name] = f"A{width}"
        labelled = {code: label for code, label in value_labels(name).items() if len(code) <= width}
        if labelled:
            values[name] = labelled
    return out, formats, labels, values


def write_sav(table: str, df: pd.DataFrame, path) -> None:
    """Write one delivery table as a typed, labelled SPSS file (see :func:`sav_frame`)."""
    import pyreadstat

    frame, formats, labels, values = sav_frame(table, df)
    pyreadstat.write_sav(frame, str(path), column_labels=labels, variable_format=formats,
                         variable_value_labels=values or None)

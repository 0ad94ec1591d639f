"""The side-by-side baseline: the three linkage steps written as a researcher would in plain pandas.

Each function is vectorised pandas (merges, group-bys, cumulative sums), the way a competent
analyst scripts linkage in CBS Remote Access; none loops over people. They reproduce the
definitions of our dbt models exactly so that the outputs can be compared row for row:

* :func:`siblings` = ``int_parent_child_links`` + ``int_siblings`` (SPEC E01): ordered pairs sharing
  at least one legal parent (KINDOUDERTAB), typed full / half maternal / half paternal, symmetric.
* :func:`partner_episodes` = ``int_partner_episodes`` (SPEC E01, from the staged household spells): two
  persons in partner positions (PLHH 3-6) of the same household spell; consecutive shared spells
  without a gap (start <= previous end + 1 day) merged into one episode (gaps and islands).
* :func:`person_month` = ``fct_person_month`` (SPEC §3.5): study persons (OFF, CC, NCC) x calendar months,
  with offending, SECM category, household position, partner, biological child, resident
  non-biological child, age and detention; months after death dropped.

Inputs are the typed tables our models read (staging for the first two, the intermediate spell
tables and the study population for the panel), read from Parquet: see ``docs/benchmarks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Panel window (dbt vars ``panel_start_month``, ``panel_start_month_criminal_controls``, ``panel_end_month``).
PANEL_START = {"OFF": "1999-01-01", "CC": "2001-01-01", "NCC": "2001-01-01"}
#: OM cases count in the panel when registered in these years (dbt vars ``om_years_start``/``om_years_end``).
OM_YEARS = (2001, 2021)
PANEL_END = "2021-06-01"
#: PLHH codes of the partner positions (seed ``household_positions``, ``is_partner``).
PARTNER_POSITIONS = (3, 4, 5, 6)


@dataclass(frozen=True, slots=True)
class BaselineInputs:
    """Folder of Parquet files exported from the warehouse for the baseline (one file per table)."""

    folder: Path

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read one exported table (only ``columns``, as an analyst would), dates as ``datetime64``."""
        import pyarrow.parquet as pq

        return pq.read_table(self.folder / f"{table}.parquet", columns=columns).to_pandas(date_as_object=False)


def siblings(inputs: BaselineInputs) -> pd.DataFrame:
    """Ordered sibling pairs via shared legal parents, typed by which parent(s) they share."""
    child_parents = inputs.read("stg_cbs__child_parents", ["person_id", "mother_id", "father_id"])
    persons = inputs.read("stg_cbs__persons", ["person_id", "birth_date"])
    links = pd.concat(
        [
            child_parents.rename(columns={"person_id": "child_id", "mother_id": "parent_id"})[["child_id", "parent_id"]]
            .dropna(subset=["parent_id"])
            .assign(is_mother=True),
            child_parents.rename(columns={"person_id": "child_id", "father_id": "parent_id"})[["child_id", "parent_id"]]
            .dropna(subset=["parent_id"])
            .assign(is_mother=False),
        ],
        ignore_index=True,
    )
    links = links[links["child_id"].notna() & (links["child_id"] != links["parent_id"])]
    pairs = links.merge(links, on=["parent_id", "is_mother"], suffixes=("", "_sibling"))
    pairs = pairs[pairs["child_id"] != pairs["child_id_sibling"]]
    pairs = pairs.assign(shares_mother=pairs["is_mother"], shares_father=~pairs["is_mother"])
    shared = (
        pairs.groupby(["child_id", "child_id_sibling"], sort=False)[["shares_mother", "shares_father"]]
        .any()
        .reset_index()
        .rename(columns={"child_id": "person_id", "child_id_sibling": "sibling_id"})
    )
    shared["sibling_type"] = np.select(
        [shared["shares_mother"] & shared["shares_father"], shared["shares_mother"]],
        ["full_sibling", "half_sibling_maternal"],
        "half_sibling_paternal",
    )
    births = persons.rename(columns={"person_id": "sibling_id", "birth_date": "sibling_birth_date"})
    result = shared.merge(births, on="sibling_id", how="left")
    return result[["person_id", "sibling_id", "sibling_type", "shares_mother", "shares_father", "sibling_birth_date"]]


def partner_episodes(inputs: BaselineInputs) -> pd.DataFrame:
    """Cohabiting-partner episodes: shared partner-position household spells merged without gaps."""
    spells = inputs.read(
        "stg_cbs__household_spells",
        [
            "person_id", "household_spell_id", "household_position_code", "spell_start_date", "spell_end_date",
            "is_left_censored", "is_running",
        ],
    )
    partners = spells[spells["person_id"].notna() & spells["household_position_code"].isin(PARTNER_POSITIONS)]
    partners = partners.drop(columns="household_position_code")
    shared = partners.merge(
        partners[["household_spell_id", "person_id"]].rename(columns={"person_id": "partner_id"}),
        on="household_spell_id",
    )
    shared = shared[shared["person_id"] != shared["partner_id"]]
    shared = shared.sort_values(["person_id", "partner_id", "spell_start_date"], ignore_index=True)
    previous_end = shared.groupby(["person_id", "partner_id"], sort=False)["spell_end_date"].shift()
    continues = shared["spell_start_date"] <= previous_end + pd.Timedelta(days=1)
    shared["episode_number"] = (~continues).astype("int32").groupby(
        [shared["person_id"], shared["partner_id"]], sort=False
    ).cumsum()
    episodes = (
        shared.groupby(["person_id", "partner_id", "episode_number"], sort=False)
        .agg(
            episode_start_date=("spell_start_date", "min"),
            episode_end_date=("spell_end_date", "max"),
            is_left_censored=("is_left_censored", "any"),
            is_running=("is_running", "any"),
            n_household_spells=("household_spell_id", "size"),
        )
        .reset_index()
    )
    return episodes


def _months(population: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for group, start in PANEL_START.items():
        calendar = pd.DataFrame({"month_start_date": pd.date_range(start, PANEL_END, freq="MS")})
        frames.append(population[population["study_group"] == group].merge(calendar, how="cross"))
    months = pd.concat(frames, ignore_index=True)
    alive = months["death_date"].isna() | (months["month_start_date"] <= months["death_date"])
    return months[alive].reset_index(drop=True)


def _in_spell(months: pd.DataFrame, spells: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Rows of ``months`` x ``spells`` (same person) whose month start lies in [start, end]."""
    joined = months[["person_id", "month_start_date"]].merge(spells, on="person_id")
    return joined[(joined["month_start_date"] >= joined[start]) & (joined["month_start_date"] <= joined[end])]


def person_month(inputs: BaselineInputs) -> pd.DataFrame:
    """The fixed-effects person-month panel of the study population (OFF, CC and NCC)."""
    population = inputs.read("dim_study_population", ["person_id", "study_group", "birth_date", "death_date"])
    population = population[population["study_group"].isin(list(PANEL_START))]
    persons = population[["person_id"]]
    cases = inputs.read("int_cases", ["person_id", "case_date", "case_source", "registration_date"]).merge(persons, on="person_id")
    secm = inputs.read("int_secm_spells", ["person_id", "spell_start_date", "spell_end_date", "secm_category"])
    households = inputs.read(
        "int_household_episodes",
        ["person_id", "spell_start_date", "spell_end_date", "position_category", "is_partner_position"],
    )
    resident = inputs.read("int_resident_children", ["person_id", "spell_start_date", "spell_end_date", "is_legal_child"])
    parent_links = inputs.read("int_parent_child_links", ["parent_id", "child_birth_date"])
    detentions = inputs.read("int_detention_spells", ["person_id", "detention_start_date", "detention_end_date"])

    months = _months(population)

    cases = cases.merge(population[["person_id", "study_group"]], on="person_id")
    cases = cases[cases["case_source"] == np.where(cases["study_group"] == "OFF", "objd", "om")]
    registered = cases["registration_date"].dt.year
    cases = cases[(cases["case_source"] == "objd") | registered.between(*OM_YEARS)]
    cases = cases.assign(month_start_date=cases["case_date"].dt.to_period("M").dt.to_timestamp())
    offence_months = cases.groupby(["person_id", "month_start_date"]).size().rename("n_cases").reset_index()

    secm_months = _in_spell(months, secm.merge(persons, on="person_id"), "spell_start_date", "spell_end_date")
    household_months = _in_spell(months, households.merge(persons, on="person_id"), "spell_start_date", "spell_end_date")
    household_months = household_months.assign(is_household_known=True)
    nonbio = resident[~resident["is_legal_child"].astype(bool)].merge(persons, on="person_id")
    nonbio_months = _in_spell(months, nonbio, "spell_start_date", "spell_end_date")[["person_id", "month_start_date"]]
    detention_months = _in_spell(
        months, detentions.merge(persons, on="person_id"), "detention_start_date", "detention_end_date"
    )[["person_id", "month_start_date"]]
    first_child = (
        parent_links.groupby("parent_id")["child_birth_date"].min().rename("first_child_birth_date").rename_axis("person_id")
    )

    panel = months.merge(offence_months, on=["person_id", "month_start_date"], how="left")
    panel = panel.merge(
        secm_months[["person_id", "month_start_date", "secm_category"]], on=["person_id", "month_start_date"], how="left"
    )
    panel = panel.merge(
        household_months[["person_id", "month_start_date", "position_category", "is_partner_position", "is_household_known"]],
        on=["person_id", "month_start_date"],
        how="left",
    )
    panel = panel.merge(first_child, left_on="person_id", right_index=True, how="left")

    key = ["person_id", "month_start_date"]
    month_index = pd.MultiIndex.from_frame(panel[key])
    birth = panel["birth_date"]
    month = panel["month_start_date"]
    before_birthday = (month.dt.month * 100 + month.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    age_years = month.dt.year - birth.dt.year - before_birthday.astype("Int64")
    n_cases = panel["n_cases"].fillna(0).astype("int64")
    month_end = month + pd.offsets.MonthEnd(0)
    return pd.DataFrame(
        {
            "person_id": panel["person_id"],
            "study_group": panel["study_group"],
            "month_start_date": month,
            "age": (month - birth).dt.days / 365.25,
            "is_adult": (age_years >= 18).astype("boolean").mask(birth.isna()),
            "offended": n_cases > 0,
            "n_cases": n_cases,
            "secm_category": panel["secm_category"],
            "position_category": panel["position_category"],
            "is_household_known": panel["is_household_known"].notna(),
            "has_partner": panel["is_partner_position"].fillna(False).astype(bool),
            "has_bio_child": (panel["first_child_birth_date"] <= month_end).fillna(False).astype(bool),
            "has_resident_nonbio_child": month_index.isin(pd.MultiIndex.from_frame(nonbio_months)),
            "is_in_detention": month_index.isin(pd.MultiIndex.from_frame(detention_months)),
        }
    )


#: Output name (our dbt model) -> baseline function.
BASELINES = {
    "int_siblings": siblings,
    "int_partner_episodes": partner_episodes,
    "fct_person_month": person_month,
}

#: Output name -> the tables the baseline reads (exported from the warehouse as Parquet).
BASELINE_INPUTS = {
    "int_siblings": ("staging.stg_cbs__child_parents", "staging.stg_cbs__persons"),
    "int_partner_episodes": ("staging.stg_cbs__household_spells",),
    "fct_person_month": (
        "marts.dim_study_population",
        "intermediate.int_cases",
        "intermediate.int_secm_spells",
        "intermediate.int_household_episodes",
        "intermediate.int_resident_children",
        "intermediate.int_parent_child_links",
        "intermediate.int_detention_spells",
    ),
}

#: Output name -> our dbt models that compute the same output from the same inputs.
OUR_MODELS = {
    "int_siblings": ("int_parent_child_links", "int_siblings"),
    "int_partner_episodes": ("int_partner_episodes",),
    "fct_person_month": ("fct_person_month",),
}

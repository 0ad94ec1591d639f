"""Synthetic delivery: layout conformance, truth-vs-delivery, planted structure (N=3000, cohort 60)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from warehouse.layouts import LAYOUTS, MASKED_RIN
from warehouse.synth import SynthConfig, generate
from warehouse.synth.util import seed_codes, seed_rows

N, COHORT = 3000, 60
SINGLE_FILE_YEAR = {"objdtab": 2021, "mensenhandeltab": 2021}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("synth")
    res = generate(SynthConfig(persons=N, cohort_size=COHORT, seed=7, out=base / "delivery"))
    return res


def read(res, table: str, year: int | None = None) -> pd.DataFrame:
    lay = LAYOUTS[table]
    if year is None:
        year = SINGLE_FILE_YEAR.get(table, 2022)
    return pd.read_csv(res.out / f"{lay.file_name(year)}.csv", dtype=str, keep_default_na=False)


def read_all(res, table: str) -> pd.DataFrame:
    lay = LAYOUTS[table]
    if not lay.per_year:
        return read(res, table)
    y0, y1 = lay.generated_years
    # a year without records is not delivered (e.g. no detention in some year of this small population)
    years = [y for y in range(y0, y1 + 1) if (res.out / f"{lay.file_name(y)}.csv").exists()]
    return pd.concat([read(res, table, y) for y in years], ignore_index=True)


def expected_files() -> list[tuple[str, int]]:
    out = []
    for name, lay in LAYOUTS.items():
        if lay.per_year:
            out += [(name, y) for y in range(lay.generated_years[0], lay.generated_years[1] + 1)]
        else:
            out.append((name, SINGLE_FILE_YEAR.get(name, 2022)))
    return out


def _valid_dates(s: pd.Series) -> bool:
    ok = pd.to_datetime(s, format="%Y%m%d", errors="coerce")
    return bool(ok.notna().all())


def test_all_files_present_with_layout_columns_and_codes(run):
    present = {p.stem for p in run.out.iterdir()}
    assert not any(p.is_dir() for p in run.out.iterdir())
    codelists = {c.codelist for lay in LAYOUTS.values() for c in lay.columns if c.codelist}
    codes = {c: set(seed_codes(c)) for c in codelists}
    expected = expected_files()
    missing = [(table, year) for table, year in expected if LAYOUTS[table].file_name(year) not in present]
    # only a per-year version of a sparse table may be absent (the generator writes no empty files),
    # and every table is delivered
    assert all(LAYOUTS[table].per_year for table, _ in missing), missing
    assert len(missing) <= 0.05 * len(expected), missing
    assert {table for table, year in expected if (table, year) not in missing} == set(LAYOUTS)
    for table, year in expected:
        lay = LAYOUTS[table]
        name = lay.file_name(year)
        if (table, year) in missing:
            continue
        assert lay.match(name), name
        df = read(run, table, year)
        upper = {c.upper(): c for c in df.columns}
        for col in lay.columns:
            names = [col.name.upper(), *(a.upper() for a in col.aliases)]
            hit = [upper[n] for n in names if n in upper]
            if col.required:
                assert hit, f"{name} lacks {col.name}"
            if not hit:
                continue
            v = df[hit[0]]
            real = v[~v.isin(col.sentinels)]
            if col.kind in ("rin", "rins", "date", "code", "str") and col.width and len(v):
                assert v.str.len().max() <= col.width, (name, col.name)
            if col.kind == "rin":
                assert real.str.fullmatch(r"\d{9}").all(), (name, col.name)
            if col.kind == "date" and len(real):
                assert real.str.fullmatch(r"\d{8}").all() and _valid_dates(real), (name, col.name)
            if col.codelist and len(real):
                bad = set(real) - codes[col.codelist]
                assert not bad, (name, col.name, sorted(bad)[:5])
            if col.kind in ("int", "num") and len(v):
                pd.to_numeric(v[v != ""])  # raises if not numeric
        if lay.key and len(df):
            assert not df.duplicated(list(lay.key)).any(), f"duplicate key in {name}"
    # HOOGSTEOPL column names switch to the SOI-2021 spelling in 2019
    assert "OPLNIVSOI2016AGG4HBMETNIRWO" in read(run, "hoogsteopltab", 2018).columns
    assert "OPLNIVSOI2021AGG4HBmetNIRWO" in read(run, "hoogsteopltab", 2019).columns


def test_spells_ordered_and_not_overlapping(run):
    for table in ("gbahuishoudensbus", "secmbus", "gbamigratiebus", "gedetineerdentab"):
        lay = LAYOUTS[table]
        df = read_all(run, table)
        s, e = lay.spell
        assert (df[s] <= df[e]).all(), table
        d = df.sort_values([*lay.spell_entity, s])
        same = (d[list(lay.spell_entity)].shift() == d[list(lay.spell_entity)]).all(axis=1)
        prev_end = d[e].shift()
        assert not (same & (d[s] <= prev_end)).any(), f"overlapping spells in {table}"


def test_households_consistent(run):
    hh = read(run, "gbahuishoudensbus")
    assert hh["DATUMAANVANGHH"].min() >= "19941001"
    assert hh["DATUMEINDEHH"].max() == "20221231"
    assert (hh["DATUMAANVANGHH"] == "19941001").any()
    g = hh.groupby(["HUISHOUDNR", "DATUMAANVANGHH"])
    assert (g["DATUMEINDEHH"].nunique() == 1).all()
    priv = hh[hh["TYPHH"] != "8"]
    size = priv.groupby(["HUISHOUDNR", "DATUMAANVANGHH"]).agg(n=("RINPERSOON", "size"), a=("AANTALPERSHH", "first"))
    assert (size["n"] == size["a"].astype(int)).all()
    # married partners in married household types, single parents in single-parent households
    assert set(hh.loc[hh["PLHH"].isin(["4", "6"]), "TYPHH"]) <= {"3", "5"}
    assert set(hh.loc[hh["PLHH"] == "7", "TYPHH"]) == {"6"}
    assert {"1", "2", "3", "4", "5", "6", "7", "10"} <= set(hh["PLHH"])
    # every couple household has exactly two partners
    part = hh[hh["PLHH"].isin(["3", "4", "5", "6"])].groupby(["HUISHOUDNR", "DATUMAANVANGHH"]).size()
    assert (part == 2).all()


def test_kindouder_and_persons(run):
    ko = read(run, "kindoudertab")
    persons = read(run, "gbapersoontab")
    assert set(ko["RINPERSOON"]) <= set(persons["RINPERSOON"])
    assert len(ko) < len(persons)  # some persons absent from KINDOUDERTAB
    masked = ko["RINPERSOONMA"] == MASKED_RIN
    assert masked.any() and (ko.loc[masked, "RINPERSOONSMA"] == "-").all()
    assert set(ko.loc[~masked, "RINPERSOONMA"]) <= set(persons["RINPERSOON"])
    assert (persons["GBAGEBOORTEDAG"] == "--").any()
    assert set(persons["GBAGENERATIE"]) >= {"0", "1", "2"}
    assert persons["RINPERSOON"].is_unique


def _derive_kinship(run) -> set[tuple]:
    ko = read(run, "kindoudertab")
    persons = read(run, "gbapersoontab")
    bd = dict(zip(persons["RINPERSOON"], persons["GBAGEBOORTEJAAR"]))
    rows = set()
    for col, rel in (("RINPERSOONMA", "mother"), ("RINPERSOONPA", "father")):
        k = ko[ko[col] != MASKED_RIN]
        rows |= {(c, p, rel) for c, p in zip(k["RINPERSOON"], k[col])}
        rows |= {(p, c, "child") for c, p in zip(k["RINPERSOON"], k[col])}
    sib = {}
    for col, side in (("RINPERSOONMA", "m"), ("RINPERSOONPA", "f")):
        k = ko[ko[col] != MASKED_RIN][["RINPERSOON", col]]
        pairs = k.merge(k, on=col)
        pairs = pairs[pairs["RINPERSOON_x"] != pairs["RINPERSOON_y"]]
        for a, b in zip(pairs["RINPERSOON_x"], pairs["RINPERSOON_y"]):
            sib.setdefault((a, b), set()).add(side)
    for (a, b), sides in sib.items():
        rel = "full_sibling" if sides == {"m", "f"} else (
            "half_sibling_maternal" if sides == {"m"} else "half_sibling_paternal")
        rows.add((a, b, rel))
    del bd
    return rows


def test_truth_kinship_derivable_from_delivery(run):
    kin = pd.read_csv(run.truth / "kinship.csv", dtype=str, keep_default_na=False)
    derived = _derive_kinship(run)
    truth_nonpartner = {tuple(r) for r in kin.loc[kin["relation"] != "partner", ["person_id", "relative_id", "relation"]].itertuples(index=False)}
    assert truth_nonpartner == derived
    for rel in ("mother", "father", "child", "full_sibling", "half_sibling_maternal", "half_sibling_paternal", "partner"):
        assert (kin["relation"] == rel).any(), rel
    # partners: each truth episode is covered by household spells where both hold partner positions
    hh = read(run, "gbahuishoudensbus")
    ph = hh[hh["PLHH"].isin(["3", "4", "5", "6"])]
    pairs = ph.merge(ph[["HUISHOUDNR", "DATUMAANVANGHH", "RINPERSOON"]], on=["HUISHOUDNR", "DATUMAANVANGHH"])
    pairs = pairs[pairs["RINPERSOON_x"] != pairs["RINPERSOON_y"]]
    spans = pairs.groupby(["RINPERSOON_x", "RINPERSOON_y"]).agg(s=("DATUMAANVANGHH", "min"), e=("DATUMEINDEHH", "max"))
    pk = kin[kin["relation"] == "partner"].copy()
    pk["s"] = pk["valid_from"].str.replace("-", "")
    pk["e"] = pk["valid_to"].str.replace("-", "")
    ep = pk.groupby(["person_id", "relative_id"]).agg(s=("s", "min"), e=("e", "max"))
    assert set(ep.index) == set(spans.index)
    spans.index.names = ["person_id", "relative_id"]
    j = ep.merge(spans, left_index=True, right_index=True, suffixes=("", "_hh"))
    assert (j["s"] == j["s_hh"]).all() and (j["e"] == j["e_hh"]).all()
    # symmetry
    assert len(kin[kin["relation"] == "partner"]) % 2 == 0
    sym = set(zip(kin["person_id"], kin["relative_id"]))
    assert all((b, a) in sym for a, b in sym)


def test_study_sample_matches_trafficking_register(run):
    mh = read(run, "mensenhandeltab")
    year = mh["OMDATUMINSCHRIJVING"].str[:4].astype(int)
    rule = mh["MHVORM"].isin(["S", "SC", "SA"]) & (mh["MHBINNENLANDS"] == "1") & (mh["MHGEDAGVAARD"] == "1") & year.between(2008, 2017)
    sample_mh = set(mh.loc[rule, "RINPERSOON"])
    persons = pd.read_csv(run.truth / "persons.csv", dtype=str, keep_default_na=False)
    sample_truth = set(persons.loc[persons["is_study_sample"] == "1", "RINPERSOON"])
    assert sample_mh == sample_truth
    assert len(sample_truth) == COHORT == run.study_sample
    assert (~rule).sum() > 0  # other trafficking cases that are not in the sample exist
    assert set(mh.loc[~rule, "MHVORM"]) - {"S", "SC", "SA"}  # labour / criminal / other forms
    # OBJD holds exactly the sample persons' careers
    objd = read(run, "objdtab")
    assert set(objd["RINPERSOON"]) <= sample_truth
    assert len(set(objd["RINPERSOON"])) >= 0.95 * COHORT
    # the index case is registered as trafficking in INSTROOMOM too
    om = read_all(run, "instroomomtab")
    idx = persons.loc[persons["is_study_sample"] == "1", "index_case"]
    assert set(idx) <= set(om["OMZAAKNUMMER"]) | set(objd["OMZAAKNUMMER"])
    feit = pd.concat([read_all(run, "instroomomfeittab"), objd[["OMZAAKNUMMER", "OMFEITSCM"]]])
    traf_cases = set(feit.loc[feit["OMFEITSCM"].isin(["3.6.1", "3.6.2"]), "OMZAAKNUMMER"])
    assert set(idx) <= traf_cases
    planted = json.loads((run.truth / "planted.json").read_text())
    assert planted["cohort_size"] == COHORT and planted["seed"] == 7


def test_case_most_serious_offence(run):
    cases = read_all(run, "instroomomtab")
    offs = read_all(run, "instroomomfeittab")
    offs["pen"] = offs["OMFEITMAXSTRAFJAREN"].astype(float)
    top = offs.sort_values(["OMZAAKNUMMER", "pen", "OMFEITVOLGNR"], ascending=[True, False, True]).drop_duplicates("OMZAAKNUMMER")
    m = cases.merge(top, on="OMZAAKNUMMER")
    assert len(m) == len(cases)
    assert (m["OMZWAARSTEFEITSCM"] == m["OMFEITSCM"]).all()
    n = offs.groupby("OMZAAKNUMMER").size()
    assert (cases.set_index("OMZAAKNUMMER")["OMAANTALFEITEN"].astype(int) == n.reindex(cases["OMZAAKNUMMER"]).to_numpy()).all()


def test_planted_group_shares_and_rates(run):
    persons = pd.read_csv(run.truth / "persons.csv", dtype=str, keep_default_na=False)
    s = persons[persons["is_study_sample"] == "1"]
    share = s["trajectory_group"].value_counts(normalize=True)
    for g, target in {"INC": 0.36, "EPK": 0.28, "LPK": 0.21, "CON": 0.15}.items():
        assert abs(share.get(g, 0) - target) < 0.04, (g, share.get(g))
    assert (s["sex"] == "1").mean() > 0.75
    # mean OBJD cases per observed year at ages 12-35 rises INC < EPK/LPK < CON
    objd = read(run, "objdtab").drop_duplicates("OMZAAKNUMMER")
    bd = pd.to_datetime(s.set_index("RINPERSOON")["birth_date"])
    objd["age"] = (pd.to_datetime(objd["OMDATUMPLEGEN"]) - bd.reindex(objd["RINPERSOON"]).to_numpy()).dt.days / 365.25
    in_w = objd[(objd["age"] >= 12) & (objd["age"] < 36)]
    cnt = in_w.groupby("RINPERSOON").size().reindex(s["RINPERSOON"]).fillna(0)
    obs_years = np.clip((pd.Timestamp("2021-07-02") - bd).dt.days / 365.25 - 12, 0.5, 24).reindex(s["RINPERSOON"])
    rate = (cnt / obs_years).groupby(s.set_index("RINPERSOON")["trajectory_group"]).mean()
    assert rate["INC"] < rate["EPK"] < rate["CON"] and rate["INC"] < rate["LPK"] < rate["CON"], rate.to_dict()


def test_offenders_children_offend_more(run):
    ko = read(run, "kindoudertab")
    om = read_all(run, "instroomomtab")
    offenders = set(om["RINPERSOON"])
    persons = read(run, "gbapersoontab")
    kids = ko.merge(persons[["RINPERSOON", "GBAGEBOORTEJAAR"]], on="RINPERSOON")
    kids = kids[kids["GBAGEBOORTEJAAR"].astype(int).between(1960, 2003)]
    par_off = kids["RINPERSOONMA"].isin(offenders) | kids["RINPERSOONPA"].isin(offenders)
    known = (kids["RINPERSOONMA"] != MASKED_RIN) | (kids["RINPERSOONPA"] != MASKED_RIN)
    kid_off = kids["RINPERSOON"].isin(offenders)
    a = kid_off[par_off & known].mean()
    b = kid_off[~par_off & known].mean()
    assert a > 1.3 * b, (a, b)


def test_matched_controls_available(run):
    """Every sample person has a criminal (>=1 case 2001-2021, no trafficking) and a non-criminal
    control candidate in its sex x birth year x mother-known x father-known cell. A smoke check only: this
    3,000-person population has about 15 persons per sex and birth year, so a cell often holds no candidate
    (seed 7 after the calibration of issue #9: 80% non-criminal, 48% criminal; the criminal pool is ~200
    persons). Thresholds >= 75% / >= 45%. At the default N = 50,000 the warehouse matches 627-629 (NCC) and
    614-619 (CC) of the 630 sample persons (seeds 20240228 and 7)."""
    persons = read(run, "gbapersoontab")
    ko = read(run, "kindoudertab").set_index("RINPERSOON")
    hh = read(run, "gbahuishoudensbus")
    truth = pd.read_csv(run.truth / "persons.csv", dtype=str, keep_default_na=False).set_index("RINPERSOON")
    om = read_all(run, "instroomomtab")
    feit = read_all(run, "instroomomfeittab")
    traf_cases = set(feit.loc[feit["OMFEITSCM"].str.startswith("3.6"), "OMZAAKNUMMER"])
    traf = set(om.loc[om["OMZAAKNUMMER"].isin(traf_cases), "RINPERSOON"]) | set(read(run, "mensenhandeltab")["RINPERSOON"])
    crim = set(om["RINPERSOON"])
    p = persons.set_index("RINPERSOON")
    p = p[p.index.isin(set(hh["RINPERSOON"]))]
    cell = pd.DataFrame({
        "sex": p["GBAGESLACHT"], "by": p["GBAGEBOORTEJAAR"],
        "mk": ko["RINPERSOONMA"].reindex(p.index).fillna(MASKED_RIN) != MASKED_RIN,
        "fk": ko["RINPERSOONPA"].reindex(p.index).fillna(MASKED_RIN) != MASKED_RIN,
    })
    sample = truth.index[truth["is_study_sample"] == "1"]
    is_s = cell.index.isin(sample)
    cc = cell[~is_s & cell.index.isin(crim) & ~cell.index.isin(traf)]
    ncc = cell[~is_s & ~cell.index.isin(crim) & ~cell.index.isin(traf)]
    need = cell[is_s].value_counts()
    have_cc = cc.value_counts().reindex(need.index).fillna(0)
    have_ncc = ncc.value_counts().reindex(need.index).fillna(0)
    matched_cc = np.minimum(need, have_cc).sum() / need.sum()
    matched_ncc = np.minimum(need, have_ncc).sum() / need.sum()
    assert matched_ncc >= 0.75, matched_ncc
    assert matched_cc >= 0.45, matched_cc


def test_emigration_is_never_on_the_arrival_date():
    """Regression (1M delivery, seed 7): an exponential draw below one day put an emigration on the
    arrival date, so the arrival's migration spell ended before it started and ingest rejected it."""
    from warehouse.synth.config import SynthConfig as Config
    from warehouse.synth.demography import BIG, _emigration, day

    class ZeroWaitRng:
        def __init__(self) -> None:
            self._rng = np.random.default_rng(0)

        def random(self, n):
            return np.zeros(n)  # everybody emigrates, everybody returns

        def exponential(self, scale, n):
            return np.zeros(n)  # emigrate at once

        def uniform(self, low, high, n):
            return self._rng.uniform(low, high, n)

    n = 4
    bdate = np.full(n, day("1940-01-01"))
    arrival = np.array([day("1963-09-16"), day("1970-01-01"), day("1990-05-05"), day("2000-02-29")])
    death = np.full(n, BIG)
    origin = np.ones(n, dtype=np.int64)
    emig, _ = _emigration(ZeroWaitRng(), bdate, arrival, death, origin, Config())
    assert (emig > arrival).all()


def test_offence_codes_follow_their_frequency_within_category(run):
    """Within a category the codes are drawn by SynthConfig.offence_code_weights (default 1), not uniformly:
    each category's realised code shares agree with the weights (chi-square goodness of fit, p > 0.001)."""
    from scipy.stats import chisquare

    cfg = SynthConfig()
    codes = pd.DataFrame(seed_rows("offence_codes"))
    codes = codes[codes["is_trafficking"].astype(str).str.lower() != "true"]
    offences = read_all(run, "instroomomfeittab")  # every OM offence of the population
    counts = offences["OMFEITSCM"].value_counts()
    tested = 0
    for category, members in codes.groupby("category8"):
        weights = members["offence"].map(cfg.offence_code_weights).fillna(1.0).to_numpy(float)
        observed = counts.reindex(members["code"].astype(str)).fillna(0).to_numpy(float)
        if observed.sum() < 150 or np.ptp(weights) == 0:
            continue
        expected = weights / weights.sum() * observed.sum()
        assert chisquare(observed, expected).pvalue > 1e-3, (category, observed, expected.round(1))
        tested += 1
    assert tested >= 3  # property, violence and vandalism at least

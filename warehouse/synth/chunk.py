"""One self-contained lineage chunk: simulate, then render every delivery table and the truth rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from . import careers, households, socio
from .config import SynthConfig
from .demography import END, OTHER, YEAR, simulate_lineages
from .households import M0 as HM0
from .util import BIG, datestr, day, month_end, month_start, pseudonym9, pseudonym12, ymd, zpad

MASK = "---------"
SOI2016 = ("OPLNIVSOI2016AGG4HBMETNIRWO", "OPLNIVSOI2016AGG4HGMETNIRWO")
SOI2021 = ("OPLNIVSOI2021AGG4HBmetNIRWO", "OPLNIVSOI2021AGG4HGmetNIRWO")


@dataclass
class ChunkOutput:
    tables: list  # (layout name, year, DataFrame in delivery column order)
    truth: dict
    n_sim: int
    n_cases: int
    n_units: int
    stats: dict = field(default_factory=dict)


def _rins(mask_known):
    return np.where(mask_known, "R", "-").astype(object)


def run_chunk(cfg: SynthConfig, idx: int, n_founders: int, quota: int, person_off: int, case_off: int = 0,
              unit_off: int = 0, *, on_simulated: Callable[[int], None] | None = None,
              offsets: Callable[[int, int], tuple[int, int]] | None = None) -> ChunkOutput:
    """Simulate and render chunk ``idx``.

    Only the founder count depends on earlier chunks' sizes; the case and household-unit id offsets
    are needed just before rendering. For pipelined runs ``on_simulated(persons)`` reports the chunk's
    size as soon as it is known and ``offsets(n_cases, n_units)`` returns ``(case_off, unit_off)``
    (overriding the arguments) once the chunk's own counts are final. Random draws never depend on
    the offsets, so the output is the same however the chunks are scheduled."""
    rng = np.random.default_rng([cfg.seed, idx])
    pop, un = simulate_lineages(rng, n_founders, cfg)
    P = pop.n
    if on_simulated is not None:
        on_simulated(P)
    gid = person_off + np.arange(P)
    rin = pseudonym9(gid, cfg.seed)
    present = socio.present_months(pop)
    registered = present[:, HM0:].any(axis=1)
    # the parent links KINDOUDERTAB will show (person listed, parent registered): the offending model's child
    # covariates use these, as the warehouse does (own stream, so the other draws do not depend on it)
    born_abroad = pop.country != 6030
    p_abs = np.where(born_abroad, cfg.p_absent_kindouder_migrant, cfg.p_absent_kindouder_other)
    in_ko = registered & (np.random.default_rng([cfg.seed, idx, 2]).random(P) >= p_abs)
    legal_mother, legal_father = (
        np.where(in_ko & (par >= 0) & registered[np.maximum(par, 0)], par, -1) for par in (pop.mother, pop.father))

    grid = households.build_grid(rng, pop, un, cfg)
    in_hh = (grid.U >= 0).any(axis=1)
    sample = careers.select_sample(rng, pop, cfg, quota, in_hh & registered)
    pop.cls[sample["p"].to_numpy()] = sample["cls"].to_numpy()

    wts = rng.random(P)
    comp0 = households.compose(grid, pop, wts)
    partner_hh, nonbio_hh = households.covariates(grid, comp0, pop, legal_mother, legal_father)
    secm = socio.secm_latent(rng, pop, cfg)
    # the sample's index offence days and trafficking resumptions come from their own stream, so the rest of the
    # population's draws do not depend on them
    rng_sample = np.random.default_rng([cfg.seed, idx, 1])
    sample["index_off"] = careers.index_offence_days(rng_sample, pop, sample)
    index_day = np.full(P, -1, np.int64)
    index_day[sample["p"].to_numpy()] = sample["index_off"].to_numpy()
    pers, mon, alpha = careers.simulate_offending(rng, pop, un, cfg, secm, partner_hh, nonbio_hh, present, index_day,
                                                  legal_mother, legal_father)
    del partner_hh, nonbio_hh
    codes = careers.offence_table()
    cases, offences = careers.build_cases(rng, pop, cfg, pers, mon, sample, codes, rng_sample)
    offences, mh = careers.add_trafficking(rng, pop, cfg, cases, offences, sample, codes, un)
    pen = codes["stat_max_prison_years"].to_numpy()
    omax = offences.assign(pen=pen[offences["code_idx"].to_numpy()])
    # most serious offence per case: highest statutory max, first on ties
    srt = omax.sort_values(["case", "pen", "seq"], ascending=[True, False, True], kind="stable")
    top = srt.drop_duplicates("case")
    case_top = np.zeros(len(cases), np.int64)
    case_top[top["case"].to_numpy()] = top["code_idx"].to_numpy()
    case_max = np.zeros(len(cases))
    case_max[top["case"].to_numpy()] = top["pen"].to_numpy()
    n_off = np.bincount(offences["case"].to_numpy(), minlength=len(cases))
    det = careers.detention(rng, pop, cfg, cases, case_max)
    det = det[registered[det["p"].to_numpy()]].reset_index(drop=True)
    U_before = grid.U.copy()
    households.add_detention(grid, det["p"].to_numpy(), det["start"].to_numpy(), det["end"].to_numpy(), rng)
    moved_p, moved_k = np.nonzero(grid.U != U_before)
    changed = np.unique(moved_k)
    touched = (np.concatenate([moved_k, moved_k]),
               np.concatenate([U_before[moved_p, moved_k], grid.U[moved_p, moved_k]]))
    del U_before
    comp = households.compose(grid, pop, wts, base=comp0, months=changed, touched=touched)
    hh = households.spells(comp, grid, cfg.p_imputed_hh)
    del comp
    if offsets is not None:
        case_off, unit_off = offsets(len(cases), grid.n_units + 1)

    tables: list = []
    reg_idx = np.nonzero(registered)[0]
    # ---------------- GBAPERSOONTAB ----------------
    y, m, d = ymd(pop.bdate)
    unk_day = born_abroad & (rng.random(P) < cfg.p_unknown_birthday)
    unk_mon = unk_day & (rng.random(P) < cfg.p_unknown_birthmonth / cfg.p_unknown_birthday)
    mo, fa = pop.mother, pop.father
    founder_parent_c = np.where(pop.origin == 0, 6030, pop.country)
    cm = np.where(mo >= 0, pop.country[np.maximum(mo, 0)], founder_parent_c)
    cf = np.where(fa >= 0, pop.country[np.maximum(fa, 0)], np.where(pop.father_unknown, -1, founder_parent_c))
    n_abroad = (cm != 6030).astype(int) + ((cf != 6030) & (cf > 0)).astype(int)
    gen_code = np.where(born_abroad, "1", np.where(n_abroad > 0, "2", "0"))
    herk = np.where(born_abroad, pop.country, np.where(cm != 6030, cm, np.where(cf > 0, cf, 6030)))
    herk = np.where(herk < 0, 6030, herk)
    r = reg_idx
    tables.append(("gbapersoontab", cfg.gba_version_year, {
        "RINPERSOONS": "R", "RINPERSOON": rin[r], "GBAGESLACHT": pop.sex[r].astype(str),
        "GBAGEBOORTEJAAR": y[r].astype(str),
        "GBAGEBOORTEMAAND": np.where(unk_mon[r], "--", zpad(m[r], 2)),
        "GBAGEBOORTEDAG": np.where(unk_day[r], "--", zpad(d[r], 2)),
        "GBAGEBOORTELAND": pop.country[r].astype(str),
        "GBAGEBOORTELANDMOEDER": cm[r].astype(str),
        "GBAGEBOORTELANDVADER": np.where(cf[r] > 0, cf[r].astype(str), "----"),
        "GBAAANTALOUDERSBUITENLAND": n_abroad[r].astype(str),
        "GBAHERKOMSTGROEPERING": herk[r].astype(str),
        "GBAGENERATIE": gen_code[r],
        "GBAIMPUTATIECODE": np.where(unk_day[r], "1", "0"),
    }))
    # ---------------- GBAOVERLIJDENTAB ----------------
    dd = r[pop.death[r] <= END]
    tables.append(("gbaoverlijdentab", cfg.gba_version_year, {
        "RINPERSOONS": "R", "RINPERSOON": rin[dd], "GBADATUMOVERLIJDEN": datestr(pop.death[dd])}))
    # ---------------- GBAMIGRATIEBUS ----------------
    ev_p, ev_d, ev_t, ev_c = [], [], [], []
    a = r[born_abroad[r] & (pop.arr[r] < BIG)]
    ev_p.append(a); ev_d.append(pop.arr[a]); ev_t.append(np.where(rng.random(len(a)) < 0.05, "O", "I")); ev_c.append(pop.country[a])
    e = r[pop.emig[r] < BIG]
    dest = np.where(pop.origin[e] == 0, rng.choice(OTHER, len(e)), pop.country[e])
    ev_p.append(e); ev_d.append(pop.emig[e]); ev_t.append(np.where(rng.random(len(e)) < 0.1, "A", "E")); ev_c.append(dest)
    b = r[pop.ret[r] < BIG]
    ev_p.append(b); ev_d.append(pop.ret[b]); ev_t.append(np.full(len(b), "I")); ev_c.append(np.where(pop.origin[b] == 0, 6029, pop.country[b]))
    mig = pd.DataFrame({"p": np.concatenate(ev_p), "d": np.concatenate(ev_d), "t": np.concatenate(ev_t),
                        "c": np.concatenate(ev_c)}).sort_values(["p", "d"], kind="stable").reset_index(drop=True)
    mp, md = mig["p"].to_numpy(), mig["d"].to_numpy()
    nxt = np.append(md[1:] - 1, 0)
    same = np.append(mp[1:] == mp[:-1], False)
    mend = np.where(same, nxt, day(f"{cfg.gba_version_year}-12-31"))
    my = ymd(md)[0]
    tables.append(("gbamigratiebus", cfg.gba_version_year, {
        "RINPERSOONS": "R", "RINPERSOON": rin[mp], "GBADATUMAANVANGMIGRATIE": datestr(md),
        "GBADATUMEINDEMIGRATIE": datestr(mend), "GBAMIGRATIESOORT": mig["t"].to_numpy(),
        "GBALANDHERKOMSTBESTEMMING": mig["c"].to_numpy().astype(str),
        "GBAPUBLICATIEJAAR": np.maximum(my, 1995).astype(str),
    }))
    # ---------------- GBAHUISHOUDENSBUS ----------------
    hp = hh["p"].to_numpy()
    s_day = month_start(HM0 + hh["k0"].to_numpy())
    e_day = month_end(HM0 + hh["k1"].to_numpy())
    plhh = hh["plhh"].to_numpy()
    ref = np.where(np.isin(plhh, (2, 7, 8)) | (np.isin(plhh, (3, 4, 5, 6)) & (pop.sex[hp] == 1)), "1", "0")
    yo, ol = hh["young"].to_numpy(), hh["old"].to_numpy()
    has_kid = hh["n_child"].to_numpy() > 0
    hh_rows = {
        "RINPERSOONS": "R", "RINPERSOON": rin[hp], "DATUMAANVANGHH": datestr(s_day), "DATUMEINDEHH": datestr(e_day),
        "HUISHOUDNR": pseudonym12(unit_off + hh["unit"].to_numpy(), cfg.seed, 1),
        "TYPHH": hh["typ"].to_numpy().astype(str), "PLHH": plhh.astype(str), "REFPERSOONHH": ref,
        "AANTALPERSHH": hh["n_mem"].to_numpy(), "AANTALKINDHH": hh["n_child"].to_numpy(),
        "AANTALOVHH": hh["n_other"].to_numpy(),
        "GEBJAARJONGSTEKINDHH": np.where(has_kid, (1970 + yo // 12).astype(str), "----"),
        "GEBMAANDJONGSTEKINDHH": np.where(has_kid, zpad(yo % 12 + 1, 2), "--"),
        "GEBJAAROUDSTEKINDHH": np.where(has_kid, (1970 + np.minimum(ol, 10**6) // 12).astype(str), "----"),
        "GEBMAANDOUDSTEKINDHH": np.where(has_kid, zpad(np.minimum(ol, 10**6) % 12 + 1, 2), "--"),
        "IMPUTATIECODEHH": np.where(hh["imputed"].to_numpy(), "1", "0"),
    }
    tables.append(("gbahuishoudensbus", cfg.gba_version_year, hh_rows))
    # ---------------- KINDOUDERTAB ----------------
    k = np.nonzero(in_ko)[0]
    mvis = (mo[k] >= 0) & registered[np.maximum(mo[k], 0)]
    fvis = (fa[k] >= 0) & registered[np.maximum(fa[k], 0)]
    tables.append(("kindoudertab", cfg.gba_version_year, {
        "RINPERSOONS": "R", "RINPERSOON": rin[k],
        "RINPERSOONSPA": _rins(fvis), "RINPERSOONPA": np.where(fvis, rin[np.maximum(fa[k], 0)], MASK),
        "RINPERSOONSMA": _rins(mvis), "RINPERSOONMA": np.where(mvis, rin[np.maximum(mo[k], 0)], MASK),
        "XKOPPELNUMMER": np.where(mvis | fvis, "01", "00"),
    }))
    vis_mother = np.full(P, -1)
    vis_father = np.full(P, -1)
    vis_mother[k[mvis]] = mo[k[mvis]]
    vis_father[k[fvis]] = fa[k[fvis]]
    # ---------------- HOOGSTEOPLTAB ----------------
    case_p = cases["p"].to_numpy()
    age_at_case = cases["offence"].to_numpy() - pop.bdate[case_p]
    adolescent_case = np.zeros(P, bool)
    adolescent_case[case_p[(age_at_case >= 16 * YEAR) & (age_at_case < 23 * YEAR)]] = True
    edu = socio.education(rng, pop, cfg, adolescent_case)
    for year in range(1999, 2022):
        e = socio.hoogsteopl_rows(rng, pop, edu, year, registered, cfg)
        names = SOI2016 if year <= 2018 else SOI2021
        hbv = e["hb"].to_numpy()
        tables.append(("hoogsteopltab", year, {
            "RINPERSOONS": "R", "RINPERSOON": rin[e["p"].to_numpy()],
            "OPLNRHB": np.where(hbv > 0, np.char.add(hbv.astype(str), "01"), "----"),
            "OPLNRHG": np.char.add(e["hg"].to_numpy().astype(str), "01"),
            names[0]: np.where(hbv > 0, hbv.astype(str), "----"),
            names[1]: e["hg"].to_numpy().astype(str),
            "GEWICHTHOOGSTEOPL": e["weight"].to_numpy(),
        }))
    # ---------------- ZVWZORGKOSTENTAB ----------------
    zcols = ["ZVWKOPHOOGFACTOR", "ZVWKHUISARTS", "ZVWKFARMACIE", "ZVWKZIEKENHUIS", "ZVWKEERSTELIJNSPSYCHO",
             "ZVWKGGZ", "ZVWKGENBASGGZ", "ZVWKSPECGGZ", "ZVWKTOTAAL"]
    for year in range(2009, 2021):
        zr = socio.zvw_rows(rng, pop, year, registered, cfg)
        out = {"RINPERSOONS": "R", "RINPERSOON": rin[zr["p"].to_numpy()]}
        for c in zcols:
            out[c] = zr[c].to_numpy()
        tables.append(("zvwzorgkostentab", year, out))
    # ---------------- SECMBUS ----------------
    sp = socio.secm_spells(rng, pop, secm, registered)
    scode = sp["code"].to_numpy()
    secm_df = {
        "RINPERSOONS": "R", "RINPERSOON": rin[sp["p"].to_numpy()],
        "AANVSECM": datestr(month_start(sp["m0"].to_numpy())), "EINDSECM": datestr(month_end(sp["m1"].to_numpy())),
        "SECM": scode.astype(str),
    }
    for flag in ("XKOPPELWERKNSECM", "XKOPPELDGASECM", "XKOPPELZELFSTSECM", "XKOPPELOVACTIEFSECM",
                 "XKOPPELMEEWERKENDSECM", "XKOPPELWERKLUITKSECM", "XKOPPELBIJSTANDSECM", "XKOPPELSOCVOORZOVSECM",
                 "XKOPPELZIEKTEAOSECM", "XKOPPELPENSIOENSECM", "XKOPPELSCHOLSTUDSECM"):
        on = np.isin(scode, [c for c, fl in socio.FLAG_OF.items() if flag in fl])
        secm_df[flag] = np.where(on, "1", "")
    tables.append(("secmbus", cfg.gba_version_year, secm_df))
    # ---------------- justice ----------------
    cp = cases["p"].to_numpy()
    keep_case = registered[cp]
    case_id = pseudonym12(case_off + np.arange(len(cases)), cfg.seed, 2)
    creg = cases["reg"].to_numpy()
    coff = cases["offence"].to_numpy()
    cregy = ymd(creg)[0]
    unk_off = rng.random(len(cases)) < 0.02
    code_s = codes["code"].to_numpy()
    art_s = codes["law_article"].to_numpy()
    parket = zpad(rng.integers(1, 12, len(cases)), 2)
    oc = offences["case"].to_numpy()
    oi = offences["code_idx"].to_numpy()
    for year in range(2001, 2022):
        sel = np.nonzero(keep_case & (cregy == year))[0]
        tables.append(("instroomomtab", year, {
            "RINPERSOONS": "R", "RINPERSOON": rin[cp[sel]], "OMZAAKNUMMER": case_id[sel],
            "OMDATUMINSCHRIJVING": datestr(creg[sel]), "OMSOORTVERDACHTE": "1",
            "OMDATUMPLEGEN": np.where(unk_off[sel], "--------", datestr(coff[sel])),
            "OMZWAARSTEFEITSCM": code_s[case_top[sel]], "OMZWAARSTEFEITARTIKEL": art_s[case_top[sel]],
            "OMAANTALFEITEN": n_off[sel], "OMPARKET": parket[sel],
        }))
        osel = np.nonzero(keep_case[oc] & (cregy[oc] == year))[0]
        tables.append(("instroomomfeittab", year, {
            "OMZAAKNUMMER": case_id[oc[osel]], "OMFEITVOLGNR": offences["seq"].to_numpy()[osel],
            "OMFEITSCM": code_s[oi[osel]], "OMFEITARTIKEL": art_s[oi[osel]], "OMFEITMAXSTRAFJAREN": pen[oi[osel]],
        }))
    insample = np.zeros(P, bool)
    insample[sample["p"].to_numpy()] = True
    obs_end = np.minimum(careers.REFERENCE_DATE, pop.death[cp])
    objd_case = insample[cp] & (coff >= pop.bdate[cp] + (12 * YEAR)) & (coff <= obs_end) & (creg <= END)
    os_ = np.nonzero(objd_case[oc])[0]
    c_ = oc[os_]
    dec = rng.choice(np.array(["01", "03", "05", "06", "21", "23"]), len(cases), p=[0.4, 0.1, 0.08, 0.12, 0.25, 0.05])
    tables.append(("objdtab", 2021, {
        "RINPERSOONS": "R", "RINPERSOON": rin[cp[c_]], "OMZAAKNUMMER": case_id[c_],
        "OMDATUMINSCHRIJVING": datestr(creg[c_]), "OMDATUMPLEGEN": datestr(coff[c_]),
        "OMFEITVOLGNR": offences["seq"].to_numpy()[os_], "OMFEITSCM": code_s[oi[os_]],
        "OMFEITARTIKEL": art_s[oi[os_]], "OMFEITMAXSTRAFJAREN": pen[oi[os_]], "OMAFDOENING": dec[c_],
    }))
    dy = ymd(det["start"].to_numpy())[0]
    for year in range(1999, 2022):
        dsel = det[dy == year]
        dp = dsel["p"].to_numpy()
        tables.append(("gedetineerdentab", year, {
            "RINPERSOONS": "R", "RINPERSOON": rin[dp], "DETDATUMINSTROOM": datestr(dsel["start"].to_numpy()),
            "DETDATUMUITSTROOM": datestr(np.minimum(dsel["end"].to_numpy(), END)),
            "DETTITEL": np.where(dsel["end"].to_numpy() - dsel["start"].to_numpy() < 60, "01", "02"),
            "DETINRICHTINGTYPE": np.where(pop.bdate[dp] + 23 * YEAR > dsel["start"].to_numpy(), "02", "01"),
        }))
    mc = mh["case"].to_numpy()
    mh_keep = keep_case[mc] & (creg[mc] <= day("2021-12-31"))
    mc = mc[mh_keep]
    mhs = mh[mh_keep]
    tables.append(("mensenhandeltab", 2021, {
        "RINPERSOONS": "R", "RINPERSOON": rin[cp[mc]], "OMZAAKNUMMER": case_id[mc],
        "OMDATUMINSCHRIJVING": datestr(creg[mc]), "MHVORM": mhs["form"].to_numpy(),
        "MHBINNENLANDS": mhs["dom"].to_numpy(), "MHGEDAGVAARD": mhs["summ"].to_numpy(),
        "MHVONNIS": mhs["verdict"].to_numpy(),
    }))

    # ---------------- truth ----------------
    from .truth import kinship_rows, person_rows

    idx_case = np.nonzero(cases["is_index"].to_numpy())[0]
    index_of = pd.Series(case_id[idx_case], index=cp[idx_case])
    truth = {
        "persons": person_rows(pop, rin, registered, insample, sample, alpha, index_of, creg, idx_case, cp,
                               vis_mother, vis_father, in_ko),
        "kinship": kinship_rows(pop, rin, vis_mother, vis_father, hh, s_day, e_day),
    }
    n_units = grid.n_units + 1
    stats = {"simulated": P, "registered": int(registered.sum()), "sample": int(len(sample)),
             "cases": int(len(cases)), "founders": n_founders}
    return ChunkOutput(tables, truth, P, len(cases), n_units, stats)

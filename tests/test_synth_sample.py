"""The generator's study-sample draw (``careers.select_sample``): profile sizes and the age at the index offence.

The draw is stratified by profile and by band of the age at the index trafficking offence (Fig 2.8: <18, 18-24,
25-39, >=40), so each profile's band counts are the configured Fig 2.8 shares of the study (SPEC §5.1) whatever the
population's age pyramid, while the risk weight still selects high-risk persons within a band.
"""

from __future__ import annotations

import numpy as np

from warehouse.synth.careers import INDEX_OFFENCE_LEAD_DAYS, largest_remainder, select_sample
from warehouse.synth.config import GROUPS, SynthConfig
from warehouse.synth.demography import YEAR, Pop
from warehouse.synth.util import BIG, day

CFG = SynthConfig()


def _population(n: int, rng: np.random.Generator) -> Pop:
    # a skewed age pyramid (many more persons born in the 1980s) and independent risk
    born = np.where(rng.random(n) < 0.7, rng.integers(day("1980-01-01"), day("1990-01-01"), n),
                    rng.integers(day("1940-01-01"), day("2000-01-01"), n)).astype(np.int64)
    never = np.full(n, BIG, np.int64)
    return Pop(
        bdate=born, sex=rng.integers(1, 3, n), mother=np.full(n, -1), father=np.full(n, -1),
        gen=np.ones(n, np.int64), z=rng.normal(0.0, 1.0, n), death=never, country=np.full(n, 6030),
        origin=np.zeros(n, np.int64), arr=born, emig=never, ret=never, father_unknown=np.zeros(n, bool),
    )


def test_sample_age_bands_follow_the_study_per_profile() -> None:
    rng = np.random.default_rng(11)
    pop = _population(60_000, rng)
    quota = 630
    sample = select_sample(rng, pop, CFG, quota, np.ones(pop.n, bool))
    assert len(sample) == quota
    age_offence = (sample["index_reg"].to_numpy() - pop.bdate[sample["p"].to_numpy()]) / YEAR \
        - np.mean(INDEX_OFFENCE_LEAD_DAYS) / YEAR
    band = np.digitize(age_offence, CFG.trafficking_age_bands[1:-1])
    counts = largest_remainder(quota, [CFG.group_shares[g] for g in GROUPS])
    for gi, g in enumerate(GROUPS):
        mine = sample["cls"].to_numpy() == gi + 1
        assert mine.sum() == counts[gi], g
        shares = np.asarray(CFG.trafficking_age_band_shares[g], float)
        expected = largest_remainder(int(counts[gi]), list(shares / shares.sum()))
        assert np.bincount(band[mine], minlength=4).tolist() == expected.tolist(), g
        females = int((pop.sex[sample["p"].to_numpy()[mine]] == 2).sum())
        assert females == round(counts[gi] * CFG.female_share_by_group[g]), g
    # within the bands the risk weight still acts: the sample's mean risk is far above the population's 0
    assert pop.z[sample["p"].to_numpy()].mean() > 1.0

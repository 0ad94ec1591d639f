"""Input data for GBTM: a person x age matrix of counts with missing cells and exposure.

A cell is *missing* when the count is NaN or the exposure is NaN or 0 (e.g. an age the
person has not yet reached). Missing cells are skipped in the likelihood (they are not
zeros). Exposure (time at risk, in (0, 1]) enters the Poisson mean as an offset:
``lambda * exposure`` (Nagin 2005, sec. 4.3 "exposure time").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from python_udfs.gbtm.errors import GbtmDataError


@dataclass(frozen=True)
class TrajectoryData:
    """Validated wide data: ``counts[i, t]`` at ``ages[t]``; NaN = missing.

    ``exposure`` is ``None`` (all observed cells have exposure 1) or an array of the same
    shape; ``observed`` is the boolean mask of cells that enter the likelihood.
    """

    ages: np.ndarray
    counts: np.ndarray
    exposure: np.ndarray | None
    observed: np.ndarray

    @property
    def n_persons(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_observations(self) -> int:
        return int(self.observed.sum())

    @property
    def n_individuals(self) -> int:
        """Persons with at least one observed cell (the N in BIC)."""
        return int(self.observed.any(axis=1).sum())


def make_data(
    ages: np.ndarray | list[float],
    counts: np.ndarray | list[list[float]],
    exposure: np.ndarray | list[list[float]] | None = None,
) -> TrajectoryData:
    """Validate and build :class:`TrajectoryData` (2-D counts; a 1-D row is one person)."""
    ages_arr = np.asarray(ages, dtype=float).reshape(-1)
    y = np.array(counts, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] != ages_arr.size:
        raise GbtmDataError(
            f"counts must be (n_persons, {ages_arr.size}) to match ages, got shape {y.shape}"
        )
    if not np.all(np.isfinite(ages_arr)):
        raise GbtmDataError("ages must be finite")
    if ages_arr.size != np.unique(ages_arr).size:
        raise GbtmDataError("ages must be distinct")
    if np.any(np.isinf(y)):
        raise GbtmDataError("counts must be finite or NaN (missing)")
    finite = np.isfinite(y)
    if np.any(y[finite] < 0) or np.any(y[finite] != np.round(y[finite])):
        raise GbtmDataError("counts must be non-negative integers (NaN = missing)")
    observed = finite.copy()
    e_arr: np.ndarray | None = None
    if exposure is not None:
        e = np.array(exposure, dtype=float)
        if e.ndim == 1:
            e = e[None, :]
        if e.shape != y.shape:
            raise GbtmDataError(f"exposure shape {e.shape} differs from counts shape {y.shape}")
        e_ok = np.isfinite(e) & (e > 0)
        if np.any(np.isfinite(e) & (e < 0)) or np.any(np.isinf(e)):
            raise GbtmDataError("exposure must be in (0, 1]; 0 or NaN marks a missing cell")
        observed &= e_ok
        e = np.where(observed, e, 0.0)
        if not np.all(e[observed] == 1.0):
            e_arr = e
    y = np.where(observed, y, np.nan)
    return TrajectoryData(ages=ages_arr, counts=y, exposure=e_arr, observed=observed)


@dataclass(frozen=True)
class CompressedData:
    """Unique response patterns with frequency weights, in the form the likelihood needs.

    ``y`` has 0 in missing cells; ``obs`` is the float mask; ``expo`` the exposure (0 where
    missing); ``positive`` / ``zero`` are masks of observed cells with y > 0 / y == 0;
    ``log_y_factorial`` is ``sum_t log(y_it!)`` per row; ``inverse`` maps persons to rows.

    ``sparse_form`` (:class:`SparseForm` or ``None``) feeds the likelihood's fast path.
    """

    y: np.ndarray
    obs: np.ndarray
    expo: np.ndarray
    positive: np.ndarray
    zero: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray
    log_y_factorial: np.ndarray
    y_log_exposure: np.ndarray
    varying_exposure: bool
    sparse_form: "SparseForm | None" = None

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class SparseForm:
    """Cell-type / pattern form of :class:`CompressedData` (exact: same sums, other order).

    A positive cell is identified by its *cell type* ``(age index, count)``; the distinct
    types are ``type_age`` / ``type_count``, and ``type_onehot`` maps types to ages (types x
    T). ``mask_patterns`` are the distinct rows of ``obs`` (missing-data patterns, few:
    right censoring gives one per last age) and ``pattern`` the pattern of each row.
    ``indicators`` is the 0/1 CSR matrix (rows x (types + patterns)) marking each row's
    positive-cell types and its pattern, so any per-row sum over cells is one sparse
    product; ``indicators_t`` is its transpose (CSR). ``expo_sparse`` is ``expo`` as CSR
    when exposure varies (else ``None``).
    """

    type_age: np.ndarray
    type_count: np.ndarray
    type_onehot: np.ndarray
    mask_patterns: np.ndarray
    pattern: np.ndarray
    indicators: sparse.csr_matrix
    indicators_t: sparse.csr_matrix
    expo_sparse: sparse.csr_matrix | None


def unique_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D array in lexicographic order, the row of each input row, counts.

    Same result as ``np.unique(key, axis=0, return_inverse=True, return_counts=True)``
    (for arrays without NaN), by one ``lexsort`` instead of a sort of structured records.
    """
    n = key.shape[0]
    if n == 0:
        return key.copy(), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    order = np.lexsort(key.T[::-1])
    ordered = key[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=first[1:])
    starts = np.flatnonzero(first)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    counts = np.diff(np.append(starts, n)).astype(np.int64)
    return ordered[starts], inverse, counts


def compress(data: TrajectoryData, compress_rows: bool = True, sparse_form: bool = True) -> CompressedData:
    """Collapse identical (counts, exposure) rows into weighted unique patterns.

    ``sparse_form=False`` skips building :class:`SparseForm` (the likelihood then uses dense
    products; cheaper for scoring a handful of records).
    """
    y = np.where(data.observed, data.counts, -1.0)
    if data.exposure is not None:
        key = np.concatenate([y, data.exposure], axis=1)
    else:
        key = y
    if compress_rows:
        unique, inverse, freq = unique_rows(key)
    else:
        unique, inverse, freq = key, np.arange(key.shape[0]), np.ones(key.shape[0], dtype=np.int64)
    t = data.ages.size
    yu = unique[:, :t]
    obs = yu >= 0
    expo = unique[:, t:] if data.exposure is not None else obs.astype(float)
    y0 = np.where(obs, yu, 0.0)
    log_e = np.log(np.where(obs, expo, 1.0))
    positive = obs & (y0 > 0)
    expo0 = np.ascontiguousarray(np.where(obs, expo, 0.0))
    return CompressedData(
        y=np.ascontiguousarray(y0),
        obs=obs.astype(float),
        expo=expo0,
        positive=positive.astype(float),
        zero=(obs & (y0 == 0)).astype(float),
        weights=freq.astype(float),
        inverse=inverse,
        log_y_factorial=gammaln(y0 + 1.0).sum(axis=1),
        y_log_exposure=(y0 * log_e).sum(axis=1),
        varying_exposure=data.exposure is not None,
        sparse_form=_sparse_form(y0, obs, positive, expo0, data.exposure is not None) if sparse_form else None,
    )


def _sparse_form(y0: np.ndarray, obs: np.ndarray, positive: np.ndarray, expo0: np.ndarray,
                 varying_exposure: bool) -> SparseForm:
    t = y0.shape[1]
    mask_patterns, pattern, _ = unique_rows(obs.view(np.uint8))
    cell_row, cell_age = np.nonzero(positive)
    types, cell_type, _ = unique_rows(np.stack([cell_age, y0[cell_row, cell_age]], axis=1))
    n, n_types = y0.shape[0], types.shape[0]
    indicators = sparse.csr_matrix(
        (np.ones(cell_row.size + n), (np.concatenate([cell_row, np.arange(n)]),
                                       np.concatenate([cell_type, n_types + pattern]))),
        shape=(n, n_types + mask_patterns.shape[0]),
    )
    return SparseForm(
        type_age=types[:, 0].astype(np.intp),
        type_count=types[:, 1].astype(float),
        type_onehot=(types[:, :1] == np.arange(t)[None, :]).astype(float),
        mask_patterns=mask_patterns.astype(float),
        pattern=pattern,
        indicators=indicators,
        indicators_t=indicators.T.tocsr(),
        expo_sparse=sparse.csr_matrix(expo0) if varying_exposure else None,
    )

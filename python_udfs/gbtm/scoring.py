"""Posterior group membership for new records under a fitted model.

``P(group j | y_i) = pi_j f_j(y_i) / sum_l pi_l f_l(y_i)`` (Nagin 2005, eq. 5.1), computed
in log space over the observed cells only (NaN counts / zero exposure are skipped).
"""

from __future__ import annotations

import numpy as np

from python_udfs.gbtm.data import compress, make_data
from python_udfs.gbtm.likelihood import evaluate
from python_udfs.gbtm.model import GbtmModel


def posterior(
    model_params: GbtmModel | str | dict,
    ages: np.ndarray | list[float],
    counts: np.ndarray | list,
    exposure: np.ndarray | list | None = None,
) -> np.ndarray:
    """Posterior membership probabilities: shape (K,) for one record, (n, K) for a matrix.

    ``model_params`` is a :class:`GbtmModel` or its JSON (string or dict). A record with no
    observed cell gets the prior shares ``pi``.
    """
    model = model_params if isinstance(model_params, GbtmModel) else GbtmModel.from_json(model_params)
    single = np.ndim(counts) == 1
    data = make_data(ages, counts, exposure)
    cd = compress(data, compress_rows=False, sparse_form=False)
    x_mat, z_mat = model.design_matrices(data.ages)
    ev = evaluate(model.theta, model.spec, cd, x_mat, z_mat, want_gradient=False)
    post = ev.posterior
    return post[0] if single else post


def assign_group(
    model_params: GbtmModel | str | dict,
    ages: np.ndarray | list[float],
    counts: np.ndarray | list,
    exposure: np.ndarray | list | None = None,
) -> np.ndarray | int:
    """0-based group with maximum posterior probability (int for one record, array otherwise)."""
    post = posterior(model_params, ages, counts, exposure)
    if post.ndim == 1:
        return int(np.argmax(post))
    return np.argmax(post, axis=1)

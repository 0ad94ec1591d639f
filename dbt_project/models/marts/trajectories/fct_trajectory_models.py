"""One row per number of groups K = 1..var('trajectory_max_groups'): a GBTM fit (zero-inflated
Poisson mixture, cubic in age) over the offending-by-age mart, with diagnostics, the fitted
parameters as JSON (for the scoring UDFs), group labels by shape, and whether it is the model
the warehouse uses (K = var('trajectory_groups'), the study's choice, SPEC §4.1)."""

import json

import numpy as np
import pandas as pd

from python_udfs.gbtm import fit_gbtm, make_data
from python_udfs.trajectory_labels import label_study_groups


COLUMNS = {
    "groups": "int64", "model_json": "string", "labels_json": "string", "curves_json": "string",
    "loglik": "float64", "n_params": "int64", "n_individuals": "int64", "bic": "float64",
    "bic_nagin": "float64", "aic": "float64", "min_avepp": "float64", "min_occ": "float64",
    "n_starts": "int64", "n_starts_at_best": "int64", "seconds": "float64", "is_selected": "bool",
}


def model(dbt, session):
    dbt.config(materialized="table")
    by_age = dbt.ref("fct_offending_by_age").df()
    k_max = int(dbt.config.get("trajectory_max_groups") or 5)
    chosen = int(dbt.config.get("trajectory_groups") or 4)
    starts = int(dbt.config.get("trajectory_starts") or 20)
    seed = int(dbt.config.get("trajectory_seed") or 20240228)

    wide = by_age.pivot(index="person_id", columns="age", values="n_cases").sort_index()
    ages = np.asarray(wide.columns, dtype=float)
    counts = wide.to_numpy(dtype=float)  # NaN = age-year not reached
    rows = []
    if counts.shape[0] == 0:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})
    data = make_data(ages, counts)
    for k in range(1, min(k_max, max(counts.shape[0] // 10, 1)) + 1):
        result = fit_gbtm(data, groups=k, degree=3, model="zip", zi_degree=0, starts=starts, seed=seed)
        labels = label_study_groups(result.trajectories, result.trajectory_ages)
        curves = {
            "ages": result.trajectory_ages.tolist(),
            "expected": result.trajectories.tolist(),
            "lower": result.trajectory_lower.tolist(),
            "upper": result.trajectory_upper.tolist(),
            "shares": np.asarray(result.shares).tolist(),
            "avepp": np.asarray(result.avepp).tolist(),
            "occ": np.asarray(result.occ).tolist(),
        }
        rows.append(
            {
                "groups": k,
                "model_json": json.dumps(result.params.to_json_dict()),
                "labels_json": json.dumps(labels),
                "curves_json": json.dumps(curves),
                "loglik": float(result.loglik),
                "n_params": int(result.n_params),
                "n_individuals": int(result.n_individuals),
                "bic": float(result.bic),
                "bic_nagin": float(result.bic_nagin),
                "aic": float(result.aic),
                "min_avepp": float(np.min(result.avepp)),
                "min_occ": float(np.min(result.occ)),
                "n_starts": int(result.n_starts),
                "n_starts_at_best": int(result.n_starts_at_best),
                "seconds": float(result.seconds),
                "is_selected": k == chosen,
            }
        )
    return pd.DataFrame(rows).astype(COLUMNS)

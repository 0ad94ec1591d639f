"""Frozen result object of a GBTM fit, with JSON round-trip."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from python_udfs.gbtm.model import GbtmModel
from python_udfs.gbtm.options import ModelKind

BAND_METHOD = (
    "delta method on log E[y] with covariance = inverse observed information "
    "(central differences of the analytic gradient); 95% pointwise"
)


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become None; arrays become lists."""
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _arr(value: Any) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float) \
        if value and isinstance(value[0], list) else np.array([np.nan if v is None else v for v in value], dtype=float)


@dataclass(frozen=True, eq=False)
class GbtmResult:
    """Diagnostics and parameters of one fitted group-based trajectory model.

    * ``bic = -2 LL + p ln N`` (smaller is better); ``bic_nagin = LL - p/2 ln N`` (Stata
      ``traj`` convention, larger is better; Nagin 2005 eq. 4.1); ``aic = -2 LL + 2p``;
      N = individuals with at least one observed cell.
    * ``avepp[j]``: mean max-posterior probability among persons assigned to j;
      ``occ[j] = [AvePP/(1-AvePP)] / [pi/(1-pi)]`` (Nagin 2005, sec. 5.5: adequacy when
      AvePP > 0.7 and OCC > 5).
    * ``trajectories[j, t]``: E[y | j, age_t] = (1 - omega) lambda with 95% bands
      ``trajectory_lower/upper`` (see ``band_method``).
    * ``n_starts_at_best``: starts whose final log-likelihood is within 1e-4 of the best.
    """

    model: ModelKind
    groups: int
    degree: int
    zi_degree: int
    loglik: float
    n_params: int
    n_individuals: int
    n_observations: int
    bic: float
    bic_nagin: float
    aic: float
    shares: np.ndarray
    shares_assigned: np.ndarray
    avepp: np.ndarray
    occ: np.ndarray
    converged: bool
    iterations: int
    n_starts: int
    n_starts_at_best: int
    start_logliks: np.ndarray
    start_strategy: str
    seconds: float
    params: GbtmModel
    trajectory_ages: np.ndarray
    trajectories: np.ndarray
    trajectory_lower: np.ndarray
    trajectory_upper: np.ndarray
    band_method: str
    hessian_ok: bool
    param_se: np.ndarray
    posterior: np.ndarray | None

    @property
    def assigned(self) -> np.ndarray:
        """0-based max-posterior group per person (requires ``posterior``)."""
        if self.posterior is None:
            raise ValueError("posterior matrix not available")
        return np.argmax(self.posterior, axis=1)

    def to_json_dict(self, include_posterior: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "groups": self.groups,
            "degree": self.degree,
            "zi_degree": self.zi_degree,
            "loglik": self.loglik,
            "n_params": self.n_params,
            "n_individuals": self.n_individuals,
            "n_observations": self.n_observations,
            "bic": self.bic,
            "bic_nagin": self.bic_nagin,
            "aic": self.aic,
            "shares": self.shares,
            "shares_assigned": self.shares_assigned,
            "avepp": self.avepp,
            "occ": self.occ,
            "converged": self.converged,
            "iterations": self.iterations,
            "n_starts": self.n_starts,
            "n_starts_at_best": self.n_starts_at_best,
            "start_logliks": self.start_logliks,
            "start_strategy": self.start_strategy,
            "seconds": self.seconds,
            "params": self.params.to_json_dict(),
            "trajectories": [
                {
                    "group": j + 1,
                    "ages": self.trajectory_ages,
                    "expected": self.trajectories[j],
                    "lower": self.trajectory_lower[j],
                    "upper": self.trajectory_upper[j],
                }
                for j in range(self.groups)
            ],
            "band_method": self.band_method,
            "hessian_ok": self.hessian_ok,
            "param_se": self.param_se,
        }
        if include_posterior and self.posterior is not None:
            out["posterior"] = self.posterior
        return _clean(out)

    def to_json(self, include_posterior: bool = False) -> str:
        return json.dumps(self.to_json_dict(include_posterior), allow_nan=False)

    @classmethod
    def from_json(cls, source: str | dict[str, Any]) -> "GbtmResult":
        """Rebuild from :meth:`to_json` output (posterior only if it was included)."""
        d = json.loads(source) if isinstance(source, str) else dict(source)
        trajs = d["trajectories"]
        post = d.get("posterior")
        return cls(
            model=d["model"], groups=int(d["groups"]), degree=int(d["degree"]), zi_degree=int(d["zi_degree"]),
            loglik=float(d["loglik"]), n_params=int(d["n_params"]), n_individuals=int(d["n_individuals"]),
            n_observations=int(d["n_observations"]), bic=float(d["bic"]), bic_nagin=float(d["bic_nagin"]),
            aic=float(d["aic"]), shares=_arr(d["shares"]), shares_assigned=_arr(d["shares_assigned"]),
            avepp=_arr(d["avepp"]), occ=_arr(d["occ"]), converged=bool(d["converged"]),
            iterations=int(d["iterations"]), n_starts=int(d["n_starts"]), n_starts_at_best=int(d["n_starts_at_best"]),
            start_logliks=_arr(d["start_logliks"]), start_strategy=str(d["start_strategy"]),
            seconds=float(d["seconds"]), params=GbtmModel.from_json(d["params"]),
            trajectory_ages=_arr(trajs[0]["ages"]),
            trajectories=_arr([t["expected"] for t in trajs]),
            trajectory_lower=_arr([t["lower"] for t in trajs]),
            trajectory_upper=_arr([t["upper"] for t in trajs]),
            band_method=str(d["band_method"]), hessian_ok=bool(d["hessian_ok"]),
            param_se=_arr(d["param_se"]),
            posterior=None if post is None else _arr(post),
        )

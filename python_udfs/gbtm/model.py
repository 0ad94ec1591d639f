"""Fitted GBTM parameters (serialisable to JSON for storage in a table and later scoring)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from python_udfs.gbtm.errors import GbtmModelJsonError
from python_udfs.gbtm.likelihood import ModelSpec, design, log_softmax, pack
from python_udfs.gbtm.options import ModelKind, validate_model_kind, validate_spec

MODEL_FORMAT = "gbtm-model/1"


@dataclass(frozen=True, eq=False)
class GbtmModel:
    """Parameters of a fitted trajectory model (groups ordered by mean expected count).

    ``beta[j]`` are polynomial coefficients of ``log lambda_j`` in scaled age
    ``(age - age_center) / age_scale``; ``gamma[j]`` the logit zero-inflation coefficients
    (ZIP only); ``logits`` the K mixing logits (``pi = softmax(logits)``).
    """

    kind: ModelKind
    groups: int
    degree: int
    zi_degree: int
    age_center: float
    age_scale: float
    beta: np.ndarray
    gamma: np.ndarray | None
    logits: np.ndarray
    ages: np.ndarray

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec(self.kind, self.groups, self.degree, self.zi_degree, self.age_center, self.age_scale)

    @property
    def theta(self) -> np.ndarray:
        return pack(self.beta, self.gamma, self.logits)

    @property
    def shares(self) -> np.ndarray:
        """Mixing proportions pi_j."""
        return np.exp(log_softmax(self.logits))

    def design_matrices(self, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        x_mat = design(ages, self.age_center, self.age_scale, self.degree)
        z_mat = design(ages, self.age_center, self.age_scale, self.zi_degree) if self.kind == "zip" else None
        return x_mat, z_mat

    def rate(self, ages: np.ndarray | None = None) -> np.ndarray:
        """Poisson rate lambda_j(age) (K x T)."""
        ages = self.ages if ages is None else np.asarray(ages, dtype=float)
        x_mat, _ = self.design_matrices(ages)
        return np.exp(self.beta @ x_mat.T)

    def zero_inflation(self, ages: np.ndarray | None = None) -> np.ndarray:
        """Zero-inflation probability omega_j(age) (K x T); zeros for the Poisson model."""
        ages = self.ages if ages is None else np.asarray(ages, dtype=float)
        _, z_mat = self.design_matrices(ages)
        if self.gamma is None or z_mat is None:
            return np.zeros((self.groups, np.size(ages)))
        return expit(self.gamma @ z_mat.T)

    def expected_counts(self, ages: np.ndarray | None = None) -> np.ndarray:
        """E[y | group j, age] = (1 - omega_j) * lambda_j (K x T), exposure 1."""
        return (1.0 - self.zero_inflation(ages)) * self.rate(ages)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "model": self.kind,
            "groups": self.groups,
            "degree": self.degree,
            "zi_degree": self.zi_degree,
            "age_center": self.age_center,
            "age_scale": self.age_scale,
            "beta": self.beta.tolist(),
            "gamma": None if self.gamma is None else self.gamma.tolist(),
            "mixing_logits": self.logits.tolist(),
            "ages": self.ages.tolist(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, source: str | dict[str, Any]) -> "GbtmModel":
        """Rebuild a model from :meth:`to_json` output (string or parsed dict)."""
        try:
            d = json.loads(source) if isinstance(source, str) else dict(source)
            if d.get("format") != MODEL_FORMAT:
                raise GbtmModelJsonError(f"unsupported model format {d.get('format')!r}")
            kind = validate_model_kind(d["model"])
            groups, degree, zi_degree = int(d["groups"]), int(d["degree"]), int(d["zi_degree"])
            validate_spec(groups, degree, zi_degree)
            beta = np.asarray(d["beta"], dtype=float).reshape(groups, degree + 1)
            gamma = None
            if kind == "zip":
                gamma = np.asarray(d["gamma"], dtype=float).reshape(groups, zi_degree + 1)
            logits = np.asarray(d["mixing_logits"], dtype=float).reshape(groups)
            ages = np.asarray(d["ages"], dtype=float).reshape(-1)
            center, scale = float(d["age_center"]), float(d["age_scale"])
        except GbtmModelJsonError:
            raise
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise GbtmModelJsonError(f"cannot parse GBTM model JSON: {exc}") from exc
        if not (math.isfinite(center) and math.isfinite(scale) and scale > 0):
            raise GbtmModelJsonError("age_center/age_scale must be finite with age_scale > 0")
        return cls(kind, groups, degree, zi_degree, center, scale, beta, gamma, logits, ages)

"""`warehouse felogit`: fixed-effects (conditional) logit on a person-period CSV.

Register with ``app.command("felogit")(felogit)``.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from python_udfs.clogit import clogit_from_frame, significance_stars
from python_udfs.stats_errors import ModelWarning, StatsError


def _parse_categorical(specs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        col, sep, ref = spec.partition("=")
        if not sep or not col or not ref:
            raise typer.BadParameter(f"--categorical expects COL=REF, got {spec!r}")
        out[col.strip()] = ref.strip()
    return out


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def felogit(
    panel: Annotated[Path, typer.Option("--panel", help="Person-period CSV file.", exists=True, dir_okay=False)],
    id: Annotated[str, typer.Option("--id", help="Person (stratum) id column.")],
    outcome: Annotated[str, typer.Option("--outcome", help="0/1 outcome column.")],
    covariates: Annotated[str, typer.Option("--covariates", help="Comma-separated covariate columns.")],
    categorical: Annotated[
        list[str], typer.Option("--categorical", help="COL=REF: dummy-code COL against level REF (repeatable).")
    ] = [],  # noqa: B006 - Typer needs a literal default
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Fit a fixed-effects logit (exact conditional likelihood) and print odds ratios."""
    covs = [c.strip() for c in covariates.split(",") if c.strip()]
    cats = _parse_categorical(categorical)
    df = pd.read_csv(panel)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        try:
            res = clogit_from_frame(df, outcome=outcome, covariates=covs, subject_id=id, categorical=cats)
        except StatsError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    if json_out:
        d = res.to_dict()
        keys = ("coef", "se", "odds_ratio", "ci_low", "ci_high", "p", "loglik", "n_obs",
                "n_groups", "n_groups_dropped", "seconds")
        # an infinite bound (separation) is not valid JSON: it is written as null
        typer.echo(json.dumps({k: _finite(d[k]) for k in keys}, indent=2, allow_nan=False))
        return
    typer.echo(f"{'term':<32}{'OR':>10}{'95% CI':>22}{'p':>12}")
    for i, term in enumerate(res.terms):
        ci = f"[{res.ci_low[i]:.3f}, {res.ci_high[i]:.3f}]"
        typer.echo(f"{term:<32}{res.odds_ratio[i]:>10.3f}{ci:>22}{res.p[i]:>12.2e} {significance_stars(res.p[i])}")
    typer.echo(f"loglik {res.loglik:.4f}; n_obs {res.n_obs}; persons {res.n_groups} "
               f"(dropped {res.n_groups_dropped}); {res.seconds:.2f} s")

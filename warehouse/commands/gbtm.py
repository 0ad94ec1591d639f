"""``warehouse gbtm``: fit group-based trajectory models from a wide CSV of counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import typer

from python_udfs.gbtm import GbtmError, fit_gbtm, make_data, select_k
from python_udfs.gbtm.options import validate_model_kind

app = typer.Typer(help="Group-based trajectory models (Nagin): (ZI)Poisson mixtures of counts by age.")


@app.callback()
def main() -> None:
    """Group-based trajectory models (Nagin 2005; Jones, Nagin & Roeder 2001)."""


def read_wide_csv(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read ``id, <age>, <age>, ...``; empty cells are missing. Returns (ids, ages, values)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if frame.shape[1] < 2:
        raise GbtmError(f"{path}: need an id column and at least one age column")
    try:
        ages = np.array([float(int(str(c).strip())) for c in frame.columns[1:]])
    except ValueError as exc:
        raise GbtmError(f"{path}: every column after the id must be an integer age ({exc})") from exc
    raw = frame.iloc[:, 1:].apply(lambda col: col.str.strip())
    values = raw.replace("", np.nan).apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    return frame.iloc[:, 0].astype(str).tolist(), ages, values


def _table(result_dict: dict) -> str:
    lines = [
        f"model={result_dict['model']} groups={result_dict['groups']} degree={result_dict['degree']} "
        f"zi_degree={result_dict['zi_degree']}",
        f"loglik={result_dict['loglik']:.4f} n_params={result_dict['n_params']} N={result_dict['n_individuals']} "
        f"obs={result_dict['n_observations']}",
        f"BIC(-2LL+p lnN)={result_dict['bic']:.3f} BIC(Nagin)={result_dict['bic_nagin']:.3f} AIC={result_dict['aic']:.3f}",
        f"converged={result_dict['converged']} starts={result_dict['n_starts']} at_best={result_dict['n_starts_at_best']} "
        f"seconds={result_dict['seconds']:.2f}",
        f"{'group':>5} {'share':>8} {'assigned':>8} {'AvePP':>7} {'OCC':>10}",
    ]
    for j in range(result_dict["groups"]):
        occ = result_dict["occ"][j]
        avepp = result_dict["avepp"][j]
        lines.append(
            f"{j + 1:>5} {result_dict['shares'][j]:>8.3f} {result_dict['shares_assigned'][j]:>8.3f} "
            f"{'NA' if avepp is None else f'{avepp:.3f}':>7} {'NA' if occ is None else f'{occ:.1f}':>10}"
        )
    ages = result_dict["trajectories"][0]["ages"]
    lines.append("expected counts by age: " + " ".join(f"{int(a):>6}" for a in ages))
    for t in result_dict["trajectories"]:
        lines.append(f"group {t['group']:<17}" + " ".join(f"{v:>6.2f}" for v in t["expected"]))
    return "\n".join(lines)


@app.command()
def fit(
    counts: Path = typer.Option(..., "--counts", exists=True, dir_okay=False, help="Wide CSV: id, then one column per integer age."),
    groups: int = typer.Option(..., "--groups", min=1, help="Number of groups K."),
    degree: int = typer.Option(3, "--degree", min=0, help="Polynomial degree of log rate in age."),
    model: str = typer.Option("zip", "--model", help="zip | poisson"),
    zi_degree: int = typer.Option(0, "--zi-degree", min=0, help="Polynomial degree of the zero-inflation logit."),
    exposure: Optional[Path] = typer.Option(None, "--exposure", exists=True, dir_okay=False, help="Wide CSV of exposure in (0,1]."),
    starts: int = typer.Option(20, "--starts", min=1, help="Random starts."),
    seed: int = typer.Option(0, "--seed", help="Seed for numpy.random.default_rng."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    select_kmax: Optional[int] = typer.Option(None, "--select-k", min=1, help="Fit K=1..KMAX and report the BIC choice."),
) -> None:
    """Fit a GBTM (or search K by BIC with --select-k) and print diagnostics."""
    try:
        kind = validate_model_kind(model)
        ids, ages, values = read_wide_csv(counts)
        expo_values = None
        if exposure is not None:
            e_ids, e_ages, expo_values = read_wide_csv(exposure)
            if e_ids != ids or not np.array_equal(e_ages, ages):
                raise GbtmError("exposure file must have the same ids and age columns as the counts file")
        data = make_data(ages, values, expo_values)
        if select_kmax is not None:
            selection = select_k(data, select_kmax, degree=degree, model=kind, zi_degree=zi_degree,
                                 starts=starts, seed=seed, bands=True)
            best = selection.best.to_json_dict()
            payload = {"selected_k": selection.best_k, "selection": selection.table(), "best": best}
            if as_json:
                typer.echo(json.dumps(payload, default=float))
            else:
                typer.echo(f"{'K':>3} {'loglik':>12} {'p':>4} {'BIC':>12} {'BIC_nagin':>12} {'minAvePP':>9} {'at_best':>7}")
                for row in selection.table():
                    typer.echo(f"{row['groups']:>3} {row['loglik']:>12.3f} {row['n_params']:>4} {row['bic']:>12.3f} "
                               f"{row['bic_nagin']:>12.3f} {row['min_avepp']:>9.3f} {row['n_starts_at_best']:>7}")
                typer.echo(f"selected K (min BIC) = {selection.best_k}")
                typer.echo(_table(best))
            return
        result = fit_gbtm(data, groups, degree=degree, model=kind, zi_degree=zi_degree, starts=starts, seed=seed)
        out = result.to_json_dict()
        typer.echo(json.dumps(out) if as_json else _table(out))
    except (GbtmError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc

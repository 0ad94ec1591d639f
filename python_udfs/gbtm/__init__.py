"""Group-based trajectory modelling (GBTM): finite mixtures of (zero-inflated) Poisson
regressions of yearly counts on polynomials of age.

References: Nagin, D. S. (2005) *Group-Based Modeling of Development*, Harvard UP;
Jones, Nagin & Roeder (2001) Sociological Methods & Research 29(3):374-393;
Nielsen, Skardhamar et al. (2014) R package ``crimCV``.

Pure numpy/scipy; DuckDB registration lives in :mod:`python_udfs.gbtm.register`.
"""

from python_udfs.gbtm.data import TrajectoryData, make_data
from python_udfs.gbtm.errors import GbtmDataError, GbtmError, GbtmModelJsonError, GbtmSpecError
from python_udfs.gbtm.fit import fit_gbtm
from python_udfs.gbtm.model import GbtmModel
from python_udfs.gbtm.options import ModelKind, validate_model_kind
from python_udfs.gbtm.result import GbtmResult
from python_udfs.gbtm.scoring import assign_group, posterior
from python_udfs.gbtm.selection import Selection, SelectionRow, select_k

__all__ = [
    "GbtmDataError", "GbtmError", "GbtmModel", "GbtmModelJsonError", "GbtmResult", "GbtmSpecError",
    "ModelKind", "Selection", "SelectionRow", "TrajectoryData", "assign_group", "fit_gbtm",
    "make_data", "posterior", "select_k", "validate_model_kind",
]

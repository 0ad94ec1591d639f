"""The study report: runs every ``sql/`` figure query, applies disclosure control, writes HTML/CSV/PNG.

Entry points: :func:`render_report` (figures through the output gate, HTML/CSV/PNG; read-only),
:func:`store_report` (the ``analytics`` schema and the output log), :func:`run_report` (both on one connection).
"""

from warehouse.report.analytics import write_analytics
from warehouse.report.runner import (
    FigureQuery,
    ReportResult,
    load_queries,
    render_report,
    run_queries,
    run_report,
    store_report,
)

__all__ = [
    "FigureQuery", "ReportResult", "load_queries", "render_report", "run_queries", "run_report", "store_report",
    "write_analytics",
]

"""The study report: runs every ``sql/`` figure query, applies disclosure control, writes HTML/CSV/PNG.

Entry points: :func:`run_report` (used by ``warehouse report``) and :func:`write_analytics`
(disclosure-controlled tables into the DuckDB ``analytics`` schema).
"""

from warehouse.report.analytics import write_analytics
from warehouse.report.runner import FigureQuery, ReportResult, load_queries, run_queries, run_report

__all__ = ["FigureQuery", "ReportResult", "load_queries", "run_queries", "run_report", "write_analytics"]

"""Statistics for the warehouse: pure, typed Python functions (no DuckDB import here).

Registration of these functions as DuckDB UDFs lives in :mod:`python_udfs.registration`
and the dbt-duckdb plugin in :mod:`python_udfs.plugin`.
"""

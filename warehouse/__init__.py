"""The warehouse package: CLI, synthetic generator, ingest, dbt driver, report."""

__version__ = "0.1.0"

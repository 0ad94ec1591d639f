"""dbt-duckdb plugin: registers the python_udfs functions on every dbt connection.

Listed in ``dbt_project/profiles.yml`` under ``plugins: [{module: python_udfs.plugin}]``.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from python_udfs.registration import register_udfs


class Plugin(BasePlugin):
    """Registers the warehouse UDFs when dbt opens a DuckDB connection."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:  # noqa: D102
        self.config = plugin_config

    def configure_connection(self, conn: Any) -> None:  # noqa: D102
        register_udfs(conn)

"""Errors raised by ingest: every violation names the file, row, column and rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken contract rule in a delivered file.

    ``row`` is the 1-based data row in the file (the header is row 0); ``count`` is how many
    rows break the rule in that column (only the first offending row is named).
    """

    file: str
    rule: str
    detail: str
    row: int | None = None
    column: str | None = None
    count: int = 1

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        more = f" ({self.count} rows)" if self.count > 1 else ""
        return f"{', '.join(where)}: [{self.rule}] {self.detail}{more}"


class DeliveryRejected(Exception):
    """A delivery broke one or more contracts; nothing of it was applied."""

    def __init__(self, delivery: str, violations: list[Violation]):
        self.delivery = delivery
        self.violations = violations
        lines = "\n".join(f"  - {violation}" for violation in violations)
        super().__init__(
            f"delivery {delivery} rejected ({len(violations)} violations); the warehouse is unchanged:\n{lines}"
        )

    @property
    def rules(self) -> set[str]:
        return {violation.rule for violation in self.violations}

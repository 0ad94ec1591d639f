"""Layout overrides: a TOML file a researcher edits (no Python) to fit a delivery to the layouts.

Two places, both optional (see ``docs/layout-overrides.md``):

* ``layouts.toml`` at the top of the delivery folder (travels with the delivery);
* a project-level file given with ``warehouse ingest --layouts FILE``.

When both are given they are merged per key and the delivery's file wins (a remap of the same
delivered column, the sentinels or codes of the same layout column). Per table, keyed by its layout
name in :mod:`warehouse.layouts` (e.g. ``[gbapersoontab]``)::

    remap = { GESLACHT = "GBAGESLACHT" }          # delivered name -> layout name (case-insensitive)
    sentinels = { GBAGENERATIE = ["9"] }          # values that mean missing: accepted, loaded as NULL
    codes = { GBAGEBOORTELAND = ["XK"] }          # extra codes accepted for a code-list column

    [gbapersoontab.years.2019]
    remap = { GEBLAND = "GBAGEBOORTELAND" }       # only for files of reference year 2019 (replaces
                                                  # the table's remaps to GBAGEBOORTELAND for them)

A remap makes the delivered name an alias of the layout column (``Column.aliases``: the same
matching, and the ``duplicate column`` rule when the layout name is delivered as well); sentinels
extend ``Column.sentinels`` (the contracts' one home for "missing" values) and are also listed in
``Column.null_values`` so the loader writes them as NULL; codes extend ``Column.extra_codes``.

Every problem of a file is one :class:`~warehouse.ingest.errors.Violation` naming the file, the
table and the key; any problem rejects the delivery before the warehouse is touched.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.ingest.errors import Violation
from warehouse.layouts import LAYOUTS, Column, TableLayout

#: The overrides file at the top of a delivery folder.
OVERRIDES_FILE = "layouts.toml"
RULE = "layout overrides"
_TABLE_KEYS = ("remap", "sentinels", "codes", "years")


@dataclass(frozen=True, slots=True)
class OverrideSource:
    """One overrides file as read: ``source`` is ``delivery`` or ``project``."""

    source: str
    name: str  # how messages name it: layouts.toml (in the delivery) or the path given
    path: Path
    text: str
    sha256: str


@dataclass(slots=True)
class TableOverrides:
    """The merged overrides of one table; every entry keeps the file it came from."""

    remap: dict[str, tuple[str, str]] = field(default_factory=dict)  # DELIVERED -> (layout column, file)
    years: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)
    sentinels: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)  # column -> (values, file)
    codes: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def remap_for(self, year: int | None) -> dict[str, tuple[str, str]]:
        """Delivered name -> (layout column, file) in force for files of ``year``: the table's remap, where
        the year remaps a layout column its own entries replace the table's entries for that column."""
        own = self.years.get(year, {}) if year is not None else {}
        targets = {target for target, _ in own.values()}
        merged = {name: entry for name, entry in self.remap.items() if entry[0] not in targets}
        merged.update(own)
        return merged


@dataclass(frozen=True, slots=True)
class LayoutOverrides:
    """The overrides in force for one ingest (empty when no file was given)."""

    sources: tuple[OverrideSource, ...] = ()
    tables: dict[str, TableOverrides] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.sources)

    def layout_for(self, layout: TableLayout, year: int | None) -> TableLayout:
        """``layout`` with the overrides for files of ``year`` applied (the layout itself if none)."""
        table = self.tables.get(layout.name)
        if table is None:
            return layout
        remap = table.remap_for(year)
        sources: dict[str, list[str]] = {}
        for delivered, (target, _) in remap.items():
            sources.setdefault(target, []).append(delivered)
        columns = []
        for column in layout.columns:
            changes: dict[str, object] = {}
            if column.name in sources:
                changes["aliases"] = _extend(column.aliases, sources[column.name])
            if column.name in table.sentinels:
                values = table.sentinels[column.name][0]
                changes["sentinels"] = _extend(column.sentinels, values)
                changes["null_values"] = _extend(column.null_values, values)
            if column.name in table.codes:
                changes["extra_codes"] = _extend(column.extra_codes, table.codes[column.name][0])
            columns.append(dataclasses.replace(column, **changes) if changes else column)
        return dataclasses.replace(layout, columns=tuple(columns))


def _extend(values: tuple[str, ...], more) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*values, *more]))


def read_overrides(delivery: Path, project_file: Path | None = None) -> tuple[LayoutOverrides, list[Violation]]:
    """Read, validate and merge the project file (if given) and the delivery's ``layouts.toml`` (if any)."""
    violations: list[Violation] = []
    sources: list[OverrideSource] = []
    parsed: list[tuple[OverrideSource, dict]] = []
    candidates: list[tuple[str, str, Path]] = []
    if project_file is not None:
        candidates.append(("project", str(project_file), Path(project_file)))
    if (delivery / OVERRIDES_FILE).is_file():
        candidates.append(("delivery", OVERRIDES_FILE, delivery / OVERRIDES_FILE))
    for source, name, path in candidates:
        try:
            raw = path.read_bytes()
        except OSError as error:
            violations.append(Violation(name, RULE, f"cannot read the overrides file: {error.strerror or error}"))
            continue
        try:
            text = raw.decode("utf-8")
            document = tomllib.loads(text)
        except UnicodeDecodeError:
            violations.append(Violation(name, RULE, "the overrides file is not UTF-8 text"))
            continue
        except tomllib.TOMLDecodeError as error:
            violations.append(Violation(name, RULE, f"not valid TOML: {error}"))
            continue
        entry = OverrideSource(source, name, path, text, hashlib.sha256(raw).hexdigest())
        sources.append(entry)
        parsed.append((entry, document))
    tables: dict[str, TableOverrides] = {}
    for entry, document in parsed:  # the project file first: the delivery's file overwrites it per key
        violations.extend(_merge_file(entry.name, document, tables))
    violations.extend(_duplicate_remaps(tables))
    return LayoutOverrides(tuple(sources), tables), violations


def _problem(file: str, table: str | None, key: str, detail: str) -> Violation:
    where = f"[{table}] {key}" if table else key
    return Violation(file, RULE, f"{where}: {detail}")


def _type_name(value: object) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def _find_column(layout: TableLayout, name: str) -> Column | None:
    for column in layout.columns:
        if column.name.upper() == name.upper().strip():
            return column
    return None


def _strings(file: str, table: str, key: str, value: object) -> tuple[list[str] | None, list[Violation]]:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value], []
    got = "" if isinstance(value, list) else f", not {_type_name(value)}"
    return None, [_problem(file, table, key, f'must be a non-empty list of strings, e.g. ["9999"]{got}')]


def _merge_file(file: str, document: dict, tables: dict[str, TableOverrides]) -> list[Violation]:
    problems: list[Violation] = []
    for table_name, body in document.items():
        layout = LAYOUTS.get(table_name)
        if layout is None:
            close = difflib.get_close_matches(table_name.lower(), list(LAYOUTS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else " (tables are named as in warehouse/layouts.py, e.g. gbapersoontab)"
            problems.append(_problem(file, None, f"[{table_name}]", f"unknown table{hint}"))
            continue
        if not isinstance(body, dict):
            problems.append(_problem(file, None, table_name, f"must be a table [{table_name}], not {_type_name(body)}"))
            continue
        merged = tables.setdefault(table_name, TableOverrides())
        for key, value in body.items():
            if key not in _TABLE_KEYS:
                problems.append(_problem(file, table_name, key, f"unknown key (allowed: {', '.join(_TABLE_KEYS)})"))
            elif key == "remap":
                problems.extend(_merge_remap(file, layout, "remap", value, merged.remap))
            elif key == "years":
                if not isinstance(value, dict):
                    problems.append(_problem(file, table_name, "years", f"must be a table of years, not {_type_name(value)}"))
                    continue
                for year_key, year_body in value.items():
                    where = f"years.{year_key}"
                    if not (isinstance(year_key, str) and year_key.isdigit() and len(year_key) == 4):
                        problems.append(_problem(file, table_name, where, "a year must be 4 digits, e.g. [gbapersoontab.years.2019]"))
                        continue
                    if not isinstance(year_body, dict):
                        problems.append(_problem(file, table_name, where, f"must be a table, not {_type_name(year_body)}"))
                        continue
                    for year_item, year_value in year_body.items():
                        if year_item != "remap":
                            problems.append(_problem(file, table_name, f"{where}.{year_item}",
                                                     "unknown key (a year allows only remap)"))
                            continue
                        target = merged.years.setdefault(int(year_key), {})
                        problems.extend(_merge_remap(file, layout, f"{where}.remap", year_value, target))
            else:
                problems.extend(_merge_values(file, layout, key, value, merged.sentinels if key == "sentinels" else merged.codes))
    return problems


def _merge_remap(file: str, layout: TableLayout, where: str, value: object, into: dict[str, tuple[str, str]]) -> list[Violation]:
    table = layout.name
    if not isinstance(value, dict):
        return [_problem(file, table, where, f"must be a table of DELIVERED = \"LAYOUT_NAME\", not {_type_name(value)}")]
    problems: list[Violation] = []
    seen: dict[str, str] = {}
    for delivered, target in value.items():
        key = f"{where}.{delivered}"
        upper = delivered.upper().strip()
        if not isinstance(target, str):
            problems.append(_problem(file, table, key, f"the target must be a column name in quotes, not {_type_name(target)}"))
            continue
        column = _find_column(layout, target)
        if column is None:
            problems.append(_not_a_column(file, layout, key, target, "remap target "))
            continue
        if upper in seen:
            problems.append(_problem(file, table, key, f"{seen[upper]} and {delivered} are the same delivered column (names ignore case)"))
            continue
        seen[upper] = delivered
        other = next(
            (c for c in layout.columns if c.name != column.name and upper in {c.name.upper(), *(a.upper() for a in c.aliases)}),
            None,
        )
        if other is not None:
            problems.append(_problem(file, table, key, f"{delivered} is the layout column {other.name} of {table}; "
                                                       f"remapping it to {column.name} would give {other.name} a duplicate"))
            continue
        into[upper] = (column.name, file)
    return problems


def _not_a_column(file: str, layout: TableLayout, key: str, name: str, what: str = "") -> Violation:
    close = difflib.get_close_matches(name.upper(), layout.column_names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return _problem(file, layout.name, key, f"{what}{name} is not a column of {layout.name}{hint}")


def _merge_values(file: str, layout: TableLayout, kind: str, value: object, into: dict) -> list[Violation]:
    table = layout.name
    if not isinstance(value, dict):
        return [_problem(file, table, kind, f"must be a table of COLUMN = [\"value\", ...], not {_type_name(value)}")]
    problems: list[Violation] = []
    for name, values in value.items():
        key = f"{kind}.{name}"
        column = _find_column(layout, name)
        if column is None:
            problems.append(_not_a_column(file, layout, key, name))
            continue
        items, wrong = _strings(file, table, key, values)
        if wrong:
            problems.extend(wrong)
            continue
        if kind == "sentinels":
            is_key = column.name in layout.key or (layout.spell is not None and column.name in layout.spell)
            if is_key or column.kind in {"rin", "rins"}:
                problems.append(_problem(file, table, key, f"{column.name} is a key column of {table}: it cannot have missing values"))
                continue
        elif column.codelist is None:
            problems.append(_problem(file, table, key, f"{column.name} of {table} has no code list to add codes to"))
            continue
        into[column.name] = (tuple(items), file)
    return problems


def _duplicate_remaps(tables: dict[str, TableOverrides]) -> list[Violation]:
    """Two delivered names remapped to one layout column (after merging both files, per year)."""
    problems: list[Violation] = []
    reported: set[tuple[str, str, tuple[str, ...]]] = set()
    for table_name, table in tables.items():
        for year in [None, *sorted(table.years)]:
            by_target: dict[str, list[tuple[str, str]]] = {}
            for delivered, (target, file) in table.remap_for(year).items():
                by_target.setdefault(target, []).append((delivered, file))
            for target, pairs in by_target.items():
                if len(pairs) < 2:
                    continue
                names = tuple(sorted(delivered for delivered, _ in pairs))
                if (table_name, target, names) in reported:
                    continue
                reported.add((table_name, target, names))
                files = ", ".join(sorted({file for _, file in pairs}))
                scope = "remap" if year is None else f"remap for {year}"
                problems.append(
                    Violation(files, RULE, f"[{table_name}] {scope}: {', '.join(names[:-1])} and {names[-1]} {'both' if len(names) == 2 else 'all'} map to {target}, "
                                           "which would give it a duplicate column; keep one")
                )
    return problems

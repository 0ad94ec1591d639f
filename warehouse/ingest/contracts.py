"""Table contracts checked set-based in DuckDB on a staged file.

Rules (names as they appear in error messages):

``missing column``     a required column of the layout is absent (case-insensitive, aliases and remaps honoured)
``empty file``         the file has a header but no data rows
``person key``         RINPERSOON is not 9 digits (zero-padded) nor the masked value ``---------``
``not null``           a key or date column that must be filled is empty
``date format``        a date is not an existing ``YYYYMMDD`` date nor a declared sentinel
``code list``          a code is not in the table's code list (seed) nor a declared sentinel
``number``             a numeric column holds something that is not a number
``integer``            a count column holds a non-integer
``duplicate key``      the table's key is not unique within the file
``spell order``        a spell ends before it starts
``spell overlap``      two spells of the same entity overlap where the table forbids it
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.ingest.errors import Violation
from warehouse.layouts import COLUMN_REMAPS, OPEN_END_SENTINELS, Column, TableLayout

#: Show at most this many distinct failing rules per column before summarising.
MAX_EXAMPLES = 1


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Delivered column name for each layout column present in the file."""

    delivered: dict[str, str]  # layout name -> delivered name
    unknown: tuple[str, ...]  # delivered columns not in the layout


def map_columns(layout: TableLayout, delivered_columns: list[str], file: str) -> tuple[ColumnMapping, list[Violation]]:
    """Match delivered columns to the layout, ignoring case, using aliases and remaps."""
    by_upper = {name.upper().strip(): name for name in delivered_columns}
    remap = {key.upper(): value for key, value in COLUMN_REMAPS.get(layout.name, {}).items()}
    for delivered_upper, target in remap.items():
        if delivered_upper in by_upper and target.upper() not in by_upper:
            by_upper[target.upper()] = by_upper[delivered_upper]
    mapping: dict[str, str] = {}
    violations: list[Violation] = []
    for column in layout.columns:
        candidates = [column.name.upper(), *(alias.upper() for alias in column.aliases)]
        match = next((by_upper[c] for c in candidates if c in by_upper), None)
        if match is not None:
            mapping[column.name] = match
        elif column.required:
            violations.append(
                Violation(file, "missing column", f"required column {column.name} of {layout.name} is absent", column=column.name)
            )
    used = set(mapping.values())
    unknown = tuple(name for name in delivered_columns if name not in used)
    return ColumnMapping(mapping, unknown), violations


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _column_rule(layout: TableLayout, column: Column, ref: str) -> tuple[str, str, str] | None:
    """(rule name, SQL predicate that is TRUE for a violating value, description) for one column."""
    value = f"trim({ref})"
    sentinels = column.sentinels
    is_key = column.name in layout.key or (layout.spell is not None and column.name in layout.spell)
    null_rule = f"{ref} is null" if is_key and column.kind in {"rin", "rins", "date", "str"} else "false"
    if column.kind == "rin":
        # the pattern allows the blanks trim() removes: no trimmed copy of every key is made
        pred = f"not (regexp_full_match({ref}, ' *[0-9]{{9}} *') or {value} in ({_sql_list(sentinels or ('',))}))"
        return "person key", f"({null_rule}) or ({ref} is not null and {pred})", "must be a 9-digit zero-padded RINPERSOON"
    if column.kind == "date":
        allowed = sentinels
        if layout.spell is not None and column.name == layout.spell[1]:
            allowed = allowed + OPEN_END_SENTINELS
        sentinel_sql = f" or {value} in ({_sql_list(allowed)})" if allowed else ""
        pred = f"not ((regexp_full_match({value}, '[0-9]{{8}}') and try_strptime({value}, '%Y%m%d') is not null){sentinel_sql})"
        return "date format", f"({null_rule}) or ({ref} is not null and {pred})", "must be a YYYYMMDD date"
    if column.kind in {"int", "num"}:
        number = f"try_cast(replace({value}, ',', '.') as double)"
        if column.kind == "int":
            pred = f"({number} is null or {number} <> trunc({number}))"
            return "integer", f"{ref} is not null and {value} <> '' and {pred}", "must be a whole number"
        return "number", f"{ref} is not null and {value} <> '' and {number} is null", "must be a number"
    if column.codelist is not None:
        sentinel_sql = f" or {value} in ({_sql_list(sentinels)})" if sentinels else ""
        pred = (
            f"not ({value} in (select code from _codes where codelist = '{column.codelist}')"
            f" or ltrim({value}, '0') in (select ltrim(code, '0') from _codes where codelist = '{column.codelist}')"
            f"{sentinel_sql})"
        )
        return "code list", f"({null_rule}) or ({ref} is not null and {pred})", f"must be a code of {column.codelist}"
    if null_rule != "false":
        return "not null", null_rule, "must be filled"
    return None


def check_stage(
    con: duckdb.DuckDBPyConnection, layout: TableLayout, stage: str, mapping: ColumnMapping, file: str
) -> list[Violation]:
    """Run every contract rule on a staged file; one violation per (column, rule) with its first row."""
    violations: list[Violation] = []
    n_rows = con.execute(f"select count(*) from {stage}").fetchone()[0]
    if n_rows == 0:
        return [Violation(file, "empty file", f"no data rows for table {layout.name}")]
    checks: list[str] = []
    meta: list[tuple[str, str, str]] = []
    for column in layout.columns:
        if column.name not in mapping.delivered:
            continue
        rule = _column_rule(layout, column, _q(mapping.delivered[column.name]))
        if rule is None:
            continue
        name, predicate, description = rule
        index = len(meta)
        meta.append((column.name, name, description))
        ref = _q(mapping.delivered[column.name])
        if column.kind == "rin":
            checks.append(
                f"select {index} as check_id, min(_row_number) as first_row, count(*) as n_bad, "
                f"any_value({ref} order by _row_number) as example "
                f"from {stage} where {predicate} having count(*) > 0"
            )
        else:
            # a rule depends on the value only: test each distinct value once (few for codes, dates,
            # counts), keeping its first row and frequency; the example is the first non-null value
            checks.append(
                f"select {index} as check_id, min(_first_row) as first_row, sum(_n) as n_bad, "
                f"arg_min({ref}, _first_row) filter (where {ref} is not null) as example "
                f"from (select {ref}, min(_row_number) as _first_row, count(*) as _n from {stage} group by {ref}) "
                f"where {predicate} having count(*) > 0"
            )
    if checks:
        for check_id, first_row, n_bad, example in con.execute(" union all ".join(checks)).fetchall():
            column_name, rule, description = meta[check_id]
            violations.append(
                Violation(file, rule, f"value {example!r} {description}", row=int(first_row), column=column_name, count=int(n_bad))
            )
    violations.extend(_key_violations(con, layout, stage, mapping, file))
    violations.extend(_spell_violations(con, layout, stage, mapping, file))
    return violations


def _key_violations(con, layout: TableLayout, stage: str, mapping: ColumnMapping, file: str) -> list[Violation]:
    if not layout.key or any(k not in mapping.delivered for k in layout.key):
        return []
    keys = ", ".join(_q(mapping.delivered[k]) for k in layout.key)
    # fast path: a hash aggregate finds whether any key repeats; only then locate the rows
    if not con.execute(f"select exists (select 1 from {stage} group by {keys} having count(*) > 1)").fetchone()[0]:
        return []
    row = con.execute(
        f"""
        select count(*), min(second_row), any_value(key_text order by second_row)
        from (
            select row_number() over (partition by {keys} order by _row_number) as copy_number,
                   _row_number as second_row,
                   concat_ws('/', {keys}) as key_text
            from {stage}
        ) where copy_number > 1
        """
    ).fetchone()
    if row[0]:
        return [
            Violation(
                file,
                "duplicate key",
                f"key ({', '.join(layout.key)}) = {row[2]!r} occurs more than once",
                row=int(row[1]),
                column=",".join(layout.key),
                count=int(row[0]),
            )
        ]
    return []


def _dates_sql(stage: str, refs: tuple[str, str]) -> str:
    """Distinct delivered date strings of the spell columns with their date (parsed once per value).

    Open-end sentinels become 9999-12-31; values that are not an existing YYYYMMDD date become NULL
    (the ``date format`` rule reports those), so they take no part in the spell rules."""
    open_ends = _sql_list(OPEN_END_SENTINELS)
    values = " union ".join(f"select distinct {ref} as value from {stage}" for ref in refs)
    return (
        f"select value, case when trim(value) in ({open_ends}) then date '9999-12-31' "
        f"else try_cast(try_strptime(trim(value), '%Y%m%d') as date) end as day "
        f"from ({values}) where value is not null"
    )


def _spell_violations(con, layout: TableLayout, stage: str, mapping: ColumnMapping, file: str) -> list[Violation]:
    if layout.spell is None or any(c not in mapping.delivered for c in (*layout.spell, *layout.spell_entity)):
        return []
    start_col, end_col = layout.spell
    start_ref, end_ref = _q(mapping.delivered[start_col]), _q(mapping.delivered[end_col])
    # order: end before start; overlap: a spell starts on or before the previous spell of its entity ends
    # (a set-based pass: dates parsed once per distinct string, one window over the file)
    if layout.spell_entity:
        entity = ", ".join(_q(mapping.delivered[c]) for c in layout.spell_entity)
        previous_end = f"lag(ends.day) over (partition by {entity} order by starts.day, _row_number)"
    else:
        previous_end = "cast(null as date)"
    order_rows, order_first, overlap_rows, overlap_first = con.execute(
        f"""
        with dates as ({_dates_sql(stage, (start_ref, end_ref))}),
        spells as (
            select _row_number, starts.day as spell_start, ends.day as spell_end,
                   {previous_end} as previous_end
            from {stage}
            left join dates as starts on starts.value = {stage}.{start_ref}
            left join dates as ends on ends.value = {stage}.{end_ref}
        )
        select count(*) filter (where spell_end < spell_start),
               min(_row_number) filter (where spell_end < spell_start),
               count(*) filter (where previous_end >= spell_start),
               min(_row_number) filter (where previous_end >= spell_start)
        from spells
        """
    ).fetchone()
    violations: list[Violation] = []
    if order_rows:
        violations.append(
            Violation(file, "spell order", f"{end_col} before {start_col}", row=int(order_first), column=end_col, count=int(order_rows))
        )
    if overlap_rows:
        violations.append(
            Violation(
                file,
                "spell overlap",
                f"spells of one {'/'.join(layout.spell_entity)} overlap ({start_col}..{end_col})",
                row=int(overlap_first),
                column=start_col,
                count=int(overlap_rows),
            )
        )
    return violations

"""Table contracts checked set-based in DuckDB on a staged file.

Rules (names as they appear in error messages). The value rules follow from the meaning of each
layout column (``Column.means`` in :mod:`warehouse.layouts`, which also documents the ranges):

``missing column``     a required column of the layout is absent (case-insensitive, aliases and remaps honoured;
                       a ``layouts.toml`` remap is an alias, see :mod:`warehouse.ingest.overrides`)
``duplicate column``   two delivered columns map to one layout column (e.g. ``RINPERSOON`` and ``rinpersoon``)
                       and their values differ on some row (identical copies are merged, with a note)
``unknown column``     (``strict`` ingest only) delivered columns that are not in the layout
``empty file``         the file has a header but no data rows
``person key``         RINPERSOON is not 9 digits (zero-padded) nor the masked value ``---------``
``not null``           a key or date column that must be filled is empty
``date format``        a date is not an existing ``YYYYMMDD`` date nor a declared sentinel
``date range``         a date lies before 1850-01-01 or after 31 December of the reference year + 1
``year``               a year is not 4 digits between 1850 and the reference year
``month``              a month is not 1..12
``day``                a day is not 1..31
``calendar date``      year, month and day columns of one date do not form an existing date (31 April)
``code list``          a code is not in its code list (the delivered list when the warehouse has one, else the
                       shipped seed) nor a declared sentinel or extra code. By default such codes are kept and flagged
                       (counted per file, column and code in ``meta.unknown_codes``); a ``strict_codes``
                       ingest, or a list in :data:`warehouse.layouts.STRICT_CODELISTS`, rejects them
``number``             a numeric column holds something that is not a number
``amount range``       a number is not finite, not below 1e12 in absolute value, or outside its column's range
``integer``            a count column holds a non-integer
``count range``        a count lies outside its column's range (negative, ``inf``, ``nan``, ``1e308``)
``duplicate key``      the table's key is not unique within the file
``spell order``        a spell ends before it starts
``spell overlap``      two spells of the same entity overlap where the table forbids it

The reference year of a file is the later of its file year and the calendar year of ingest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from warehouse.ingest.errors import Violation
from warehouse.layouts import (
    COLUMN_REMAPS,
    MAX_AMOUNT,
    MAX_COUNT,
    MIN_DATE,
    MIN_YEAR,
    OPEN_END_SENTINELS,
    Column,
    TableLayout,
)

#: Show at most this many distinct failing rules per column before summarising.
MAX_EXAMPLES = 1


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Delivered column name for each layout column present in the file."""

    delivered: dict[str, str]  # layout name -> staged column name (as in SQL over the stage)
    unknown: tuple[str, ...]  # delivered columns not in the layout (names as in the file)
    #: layout name -> further delivered columns that map to it as well (e.g. ``rinpersoon`` beside
    #: ``RINPERSOON``); see :func:`check_duplicate_columns`
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: staged column name -> name as written in the file, where they differ (DuckDB stages a
    #: second ``rinpersoon`` beside ``RINPERSOON`` as ``rinpersoon_1``)
    header: dict[str, str] = field(default_factory=dict)

    def name_in_file(self, staged: str) -> str:
        return self.header.get(staged, staged)


def map_columns(
    layout: TableLayout, delivered_columns: list[str], file: str, header: list[str] | None = None
) -> tuple[ColumnMapping, list[Violation]]:
    """Match delivered columns to the layout, ignoring case, using aliases and remaps.

    When several delivered columns match one layout column (same name in another case, or a name
    and an alias), the first by name-then-alias precedence and delivered order is used and the others
    are listed in ``duplicates``; nothing is dropped silently. ``delivered_columns`` are the staged
    names; ``header`` (aligned with them) the names as written in the file, used for matching."""
    in_file = dict(zip(delivered_columns, header)) if header is not None and len(header) == len(delivered_columns) else {}
    upper_of = {name: in_file.get(name, name).upper().strip() for name in delivered_columns}
    remap = {key.upper(): value.upper() for key, value in COLUMN_REMAPS.get(layout.name, {}).items()}
    mapping: dict[str, str] = {}
    duplicates: dict[str, tuple[str, ...]] = {}
    violations: list[Violation] = []
    for column in layout.columns:
        candidates = list(dict.fromkeys([column.name.upper(), *(alias.upper() for alias in column.aliases)]))
        matches = [name for candidate in candidates for name in delivered_columns if upper_of[name] == candidate]
        if not matches:
            # a remapped delivered name stands in for a layout column that is not delivered itself
            matches = [
                name
                for name in delivered_columns
                if remap.get(upper_of[name]) in candidates
            ]
        if matches:
            mapping[column.name] = matches[0]
            if len(matches) > 1:
                duplicates[column.name] = tuple(matches[1:])
        elif column.required:
            violations.append(
                Violation(file, "missing column", f"required column {column.name} of {layout.name} is absent", column=column.name)
            )
    used = set(mapping.values()) | {name for names in duplicates.values() for name in names}
    unknown = tuple(in_file.get(name, name) for name in delivered_columns if name not in used)
    renamed = {staged: name for staged, name in in_file.items() if staged != name}
    return ColumnMapping(mapping, unknown, duplicates, renamed), violations


def check_duplicate_columns(
    con: duckdb.DuckDBPyConnection, stage: str, mapping: ColumnMapping, file: str
) -> tuple[list[Violation], list[str]]:
    """Two delivered columns for one layout column: a violation if their values differ on any row
    (naming both, the first differing row and the number of such rows), else a note (one copy is used)."""
    violations: list[Violation] = []
    notes: list[str] = []
    for layout_name, others in mapping.duplicates.items():
        used_ref = mapping.delivered[layout_name]
        used = mapping.name_in_file(used_ref)
        for other_ref in others:
            other = mapping.name_in_file(other_ref)
            n_diff, first_row, example = con.execute(
                f"select count(*), min(_row_number), "
                f"any_value(concat(coalesce({_q(used_ref)}, 'NULL'), ' vs ', coalesce({_q(other_ref)}, 'NULL')) "
                f"order by _row_number) from {stage} where {_q(used_ref)} is distinct from {_q(other_ref)}"
            ).fetchone()
            if n_diff:
                violations.append(
                    Violation(
                        file,
                        "duplicate column",
                        f"columns {used} and {other} both map to {layout_name} but differ ({example})",
                        row=int(first_row),
                        column=f"{used},{other}",
                        count=int(n_diff),
                    )
                )
            else:
                notes.append(f"{file}: columns {used} and {other} both map to {layout_name} with identical values; {used} is used")
    return violations, notes


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _number(value: str) -> str:
    return f"try_cast(replace({value}, ',', '.') as double)"


def _fmt(bound: float) -> str:
    return f"{bound:g}" if abs(bound) >= 1e6 else f"{bound:,.10g}".replace(",", "")


def _column_rules(layout: TableLayout, column: Column, ref: str, ref_year: int) -> list[tuple[str, str, str]]:
    """(rule name, SQL predicate that is TRUE for a violating value, description) for one column, in the
    order they are tested (a value is reported under the first rule it breaks). The rules follow from
    the column's meaning (``Column.means``); ``ref_year`` is the file's reference year."""
    value = f"trim({ref})"
    sentinels = column.sentinels
    meaning = column.means
    is_key = column.name in layout.key or (layout.spell is not None and column.name in layout.spell)
    null_rule = f"{ref} is null" if is_key and column.kind in {"rin", "rins", "date", "str"} else "false"
    filled = f"{ref} is not null and {value} <> ''"
    not_sentinel = f" and {value} not in ({_sql_list(sentinels)})" if sentinels else ""
    if column.kind == "rin":
        # the pattern allows the blanks trim() removes: no trimmed copy of every key is made
        pred = f"not (regexp_full_match({ref}, ' *[0-9]{{9}} *') or {value} in ({_sql_list(sentinels or ('',))}))"
        return [("person key", f"({null_rule}) or ({ref} is not null and {pred})", "must be a 9-digit zero-padded RINPERSOON")]
    if meaning == "date":
        allowed = sentinels
        if layout.spell is not None and column.name == layout.spell[1]:
            allowed = allowed + OPEN_END_SENTINELS
        sentinel_sql = f" or {value} in ({_sql_list(allowed)})" if allowed else ""
        parsed = f"try_strptime({value}, '%Y%m%d')"
        pred = f"not ((regexp_full_match({value}, '[0-9]{{8}}') and {parsed} is not null){sentinel_sql})"
        last = f"{ref_year + 1}-12-31"
        outside = f"not (cast({parsed} as date) between date '{MIN_DATE}' and date '{last}')"
        not_allowed = f" and {value} not in ({_sql_list(allowed)})" if allowed else ""
        return [
            ("date format", f"({null_rule}) or ({ref} is not null and {pred})", "must be a YYYYMMDD date"),
            ("date range", f"{ref} is not null{not_allowed} and {parsed} is not null and {outside}",
             f"must lie between {MIN_DATE} and {last}"),
        ]
    if meaning in {"year", "month", "day"}:
        digits, low, high = {
            "year": ("4", MIN_YEAR, ref_year + int(column.high or 0)),
            "month": ("1,2", 1, 12),
            "day": ("1,2", 1, 31),
        }[meaning]
        pred = f"not (regexp_full_match({value}, '[0-9]{{{digits}}}') and try_cast({value} as integer) between {low} and {high})"
        return [(meaning, f"{filled}{not_sentinel} and {pred}", f"must be a {meaning} {low}..{high}")]
    if meaning in {"count", "amount"}:
        number = _number(value)
        low = column.low if column.low is not None else (0 if meaning == "count" else None)
        high = column.high if column.high is not None else (MAX_COUNT if meaning == "count" else None)
        bounds = [f"isfinite({number})", f"abs({number}) < {MAX_AMOUNT:g}"]
        if low is not None:
            bounds.append(f"{number} >= {low!r}")
        if high is not None:
            bounds.append(f"{number} <= {high!r}")
        outside = f"{filled}{not_sentinel} and {number} is not null and not ({' and '.join(bounds)})"
        if meaning == "count":
            pred = f"({number} is null or {number} <> trunc({number}))"
            return [
                ("integer", f"{filled}{not_sentinel} and {pred}", "must be a whole number"),
                ("count range", outside, f"must be a whole number {_fmt(low)}..{_fmt(high)}"),
            ]
        if low is None and high is None:
            range_text = f"must be finite with |x| < {MAX_AMOUNT:g}"
        else:
            range_text = f"must be finite and within {_fmt(low if low is not None else -MAX_AMOUNT)}..{_fmt(high if high is not None else MAX_AMOUNT)}"
        return [
            ("number", f"{filled}{not_sentinel} and {number} is null", "must be a number"),
            ("amount range", outside, range_text),
        ]
    if column.codelist is not None:
        # an empty key is a ``not null`` violation (always rejected), not an unknown code (only flagged)
        rules = [("not null", null_rule, "must be filled")] if null_rule != "false" else []
        rules.append(("code list", f"{ref} is not null and {unknown_code_sql(column, ref)}", f"must be a code of {column.codelist}"))
        return rules
    if null_rule != "false":
        return [("not null", null_rule, "must be filled")]
    return []


def unknown_code_sql(column: Column, ref: str) -> str:
    """SQL predicate, TRUE for a (non-null) value of ``ref`` that is neither in ``column``'s code list
    (temp table ``_codes``, leading zeros ignored) nor one of its sentinels or extra codes (``Column.extra_codes``,
    from a ``layouts.toml``)."""
    value = f"trim({ref})"
    accepted = column.sentinels + column.extra_codes
    sentinel_sql = f" or {value} in ({_sql_list(accepted)})" if accepted else ""
    return (
        f"not ({value} in (select code from _codes where codelist = '{column.codelist}')"
        f" or ltrim({value}, '0') in (select ltrim(code, '0') from _codes where codelist = '{column.codelist}')"
        f"{sentinel_sql})"
    )


@dataclass(frozen=True, slots=True)
class UnknownCode:
    """One code of a delivered column that is not in the column's code list (kept and flagged)."""

    file: str
    column: str
    codelist: str
    code: str
    n_rows: int
    first_row: int


#: At most this many distinct unknown codes per column are recorded (the most frequent first).
MAX_UNKNOWN_CODES = 1000


def unknown_codes(
    con: duckdb.DuckDBPyConnection, layout: TableLayout, stage: str, mapping: ColumnMapping, file: str, column_name: str
) -> tuple[list[UnknownCode], int]:
    """The unknown codes of one column with their row counts (most frequent first, at most
    :data:`MAX_UNKNOWN_CODES`) and the number of distinct unknown codes. Run only for a column whose
    ``code list`` rule failed, so a clean file pays nothing for it."""
    column = layout.column(column_name)
    ref = _q(mapping.delivered[column_name])
    rows = con.execute(
        f"select code, n_rows, first_row, count(*) over () from ("
        f"select trim({ref}) as code, count(*) as n_rows, min(_row_number) as first_row from {stage} "
        f"where {ref} is not null and {unknown_code_sql(column, ref)} group by 1) "
        f"order by n_rows desc, first_row limit {MAX_UNKNOWN_CODES}"
    ).fetchall()
    found = [UnknownCode(file, column_name, column.codelist or "", code, int(n), int(first)) for code, n, first, _ in rows]
    return found, int(rows[0][3]) if rows else 0


def _calendar_date_check(layout: TableLayout, stage: str, mapping: ColumnMapping, index: int) -> list[tuple[str, str]]:
    """Checks (SQL, day column) that year/month/day columns which all hold a valid part form an existing date."""
    checks = []
    for parts in layout.date_parts:
        if any(part not in mapping.delivered for part in parts):
            continue
        refs = [_q(mapping.delivered[part]) for part in parts]
        year, month, day = (f"trim({ref})" for ref in refs)
        valid = " and ".join(
            f"regexp_full_match({part}, '[0-9]{{{digits}}}')" for part, digits in ((year, "4"), (month, "1,2"), (day, "1,2"))
        )
        text = f"{year} || lpad({month}, 2, '0') || lpad({day}, 2, '0')"
        predicate = (
            f"{valid} and try_cast({month} as integer) between 1 and 12 and try_cast({day} as integer) between 1 and 31"
            f" and try_strptime({text}, '%Y%m%d') is null"
        )
        example = " || '-' || ".join(f"coalesce({ref}, '')" for ref in refs)
        group = ", ".join(refs)
        checks.append(
            (
                f"select {index + len(checks)} as check_id, min(_first_row) as first_row, sum(_n) as n_bad, "
                f"arg_min({example}, _first_row) as example "
                f"from (select {group}, min(_row_number) as _first_row, count(*) as _n from {stage} group by {group}) "
                f"where {predicate} having count(*) > 0",
                parts[2],
            )
        )
    return checks


def check_stage(
    con: duckdb.DuckDBPyConnection,
    layout: TableLayout,
    stage: str,
    mapping: ColumnMapping,
    file: str,
    *,
    year: int | None = None,
) -> list[Violation]:
    """Run every contract rule on a staged file; one violation per (column, rule) with its first row.

    ``year`` is the file year; date and year ranges end at the later of it and the current year (+1)."""
    violations: list[Violation] = []
    n_rows = con.execute(f"select count(*) from {stage}").fetchone()[0]
    if n_rows == 0:
        return [Violation(file, "empty file", f"no data rows for table {layout.name}")]
    ref_year = max(year or 0, dt.date.today().year)
    checks: list[str] = []
    meta: list[tuple[str, str, str]] = []
    for column in layout.columns:
        if column.name not in mapping.delivered:
            continue
        ref = _q(mapping.delivered[column.name])
        rules = _column_rules(layout, column, ref, ref_year)
        if not rules:
            continue
        first = len(meta)
        meta.extend((column.name, name, description) for name, _, description in rules)
        # a value is reported under the first rule it breaks
        case = "case " + " ".join(f"when {predicate} then {first + i}" for i, (_, predicate, _) in enumerate(rules)) + " end"
        if column.kind == "rin":
            checks.append(
                f"select check_id, min(_row_number) as first_row, count(*) as n_bad, "
                f"any_value({ref} order by _row_number) as example "
                f"from (select {case} as check_id, {ref}, _row_number from {stage}) "
                f"where check_id is not null group by check_id"
            )
        else:
            # a rule depends on the value only: test each distinct value once (few for codes, dates,
            # counts), keeping its first row and frequency; the example is the first non-null value
            checks.append(
                f"select check_id, min(_first_row) as first_row, sum(_n) as n_bad, "
                f"arg_min({ref}, _first_row) filter (where {ref} is not null) as example "
                f"from (select {case} as check_id, {ref}, _first_row, _n from "
                f"(select {ref}, min(_row_number) as _first_row, count(*) as _n from {stage} group by {ref})) "
                f"where check_id is not null group by check_id"
            )
    for sql, day_column in _calendar_date_check(layout, stage, mapping, len(meta)):
        meta.append((day_column, "calendar date", "is not an existing calendar date (year-month-day)"))
        checks.append(sql)
    if checks:
        rows = con.execute(" union all ".join(checks)).fetchall()
        for check_id, first_row, n_bad, example in sorted(rows, key=lambda r: r[0]):
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

"""Layout overrides (``layouts.toml`` in the delivery, ``--layouts FILE``): a worked example for a layout
the project has never seen in that shape, per-year remaps, precedence, and validation that rejects a bad
file with one line per problem and leaves the warehouse byte-identical (docs/layout-overrides.md)."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fixtures.tiny_delivery import TABLES, write_tiny_delivery
from fixtures.warehouses import rejected
from warehouse.cli import app
from warehouse.db import connect
from warehouse.ingest import DeliveryRejected, ingest
from warehouse.layouts import LAYOUTS

PERSONS = "GBAPERSOON2022TABV1.csv"
HOUSEHOLDS = "GBAHUISHOUDENS2022BUSV1.csv"

#: The worked example of docs/layout-overrides.md.
WORKED_EXAMPLE = """\
# layouts.toml: fit this delivery to the layouts of the warehouse
[gbapersoontab]
remap = { GESLACHT = "GBAGESLACHT", geboorteland_kind = "GBAGEBOORTELAND" }
sentinels = { GBAGEBOORTEMAAND = ["99"] }
codes = { GBAGEBOORTELANDMOEDER = ["XK"] }
"""


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reshaped_tables() -> dict:
    """The tiny delivery with two person columns renamed, a sentinel month and an extra country code
    (both on person 000000031, the last row)."""
    tables = copy.deepcopy(TABLES)
    columns, rows = tables[PERSONS]
    columns[columns.index("GBAGESLACHT")] = "GESLACHT"
    columns[columns.index("GBAGEBOORTELAND")] = "geboorteland_kind"
    last = rows[-1]
    assert last[1] == "000000031"
    last[columns.index("GBAGEBOORTEMAAND")] = "99"  # unknown month: 99
    last[columns.index("GBAGEBOORTELANDMOEDER")] = "XK"  # Kosovo, not in the shipped country list
    return tables


def _differences(new_db: Path, old_db: Path, table: str) -> tuple[list, list]:
    """Rows of ``source_current.<table>`` (lineage columns left out) only in the new, only in the old warehouse."""
    columns = ", ".join(f'"{name}"' for name in LAYOUTS[table].column_names)
    con = duckdb.connect(str(new_db), read_only=True)
    try:
        con.execute(f"attach '{old_db}' as old (read_only)")
        only_new = con.execute(
            f"select {columns} from source_current.{table} except all select {columns} from old.source_current.{table}"
        ).fetchall()
        only_old = con.execute(
            f"select {columns} from old.source_current.{table} except all select {columns} from source_current.{table}"
        ).fetchall()
    finally:
        con.close()
    return only_new, only_old


def test_worked_example_fails_without_and_loads_with_the_overrides(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "reshaped", _reshaped_tables())
    db = tmp_path / "reshaped.duckdb"
    con = connect(db)
    with pytest.raises(DeliveryRejected) as raised:
        ingest(con, folder, strict_codes=True)
    assert sorted((v.file, v.column, v.rule) for v in raised.value.violations) == [
        (PERSONS, "GBAGEBOORTELAND", "missing column"),
        (PERSONS, "GBAGEBOORTELANDMOEDER", "code list"),
        (PERSONS, "GBAGEBOORTEMAAND", "month"),
        (PERSONS, "GBAGESLACHT", "missing column"),
    ]

    (folder / "layouts.toml").write_text(WORKED_EXAMPLE, encoding="utf-8")
    result = ingest(con, folder, strict_codes=True)
    assert result.applied and result.tables == {"gbapersoontab": 8, "kindoudertab": 5, "gbahuishoudensbus": 17}
    assert result.unknown_columns == {} and result.unknown_codes == ()
    assert "layouts.toml" not in result.skipped_files
    recorded = con.execute("select delivery_id, source, file_name, sha256, text from meta.layout_overrides").fetchall()
    con.close()
    assert recorded == [(result.delivery_id, "delivery", "layouts.toml",
                         _file_hash(folder / "layouts.toml"), WORKED_EXAMPLE)]

    # the current data equal the untouched tiny delivery's, except the two edited values of person 31:
    # the sentinel month is loaded as NULL and the extra code as delivered
    for table in ("kindoudertab", "gbahuishoudensbus"):
        assert _differences(db, loaded, table) == ([], [])
    only_new, only_old = _differences(db, loaded, "gbapersoontab")
    names = LAYOUTS["gbapersoontab"].column_names
    assert len(only_new) == len(only_old) == 1
    new, old = dict(zip(names, only_new[0])), dict(zip(names, only_old[0]))
    assert new["RINPERSOON"] == old["RINPERSOON"] == "000000031"
    assert {name for name in names if new[name] != old[name]} == {"GBAGEBOORTEMAAND", "GBAGEBOORTELANDMOEDER"}
    assert (new["GBAGEBOORTEMAAND"], old["GBAGEBOORTEMAAND"]) == (None, "06")
    assert (new["GBAGEBOORTELANDMOEDER"], old["GBAGEBOORTELANDMOEDER"]) == ("XK", "6043")


def _households_renamed() -> dict:
    tables = copy.deepcopy(TABLES)
    columns = tables[HOUSEHOLDS][0]
    columns[columns.index("DATUMAANVANGHH")] = "DATUMBEGINHH"
    return tables


def test_per_year_remap_applies_to_files_of_that_year_only(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "years", _households_renamed())  # the files are of 2022
    db = tmp_path / "years.duckdb"
    con = connect(db)
    (folder / "layouts.toml").write_text('[gbahuishoudensbus.years.2019]\nremap = { DATUMBEGINHH = "DATUMAANVANGHH" }\n')
    with pytest.raises(DeliveryRejected) as raised:
        ingest(con, folder)
    assert [(v.file, v.column, v.rule) for v in raised.value.violations] == [(HOUSEHOLDS, "DATUMAANVANGHH", "missing column")]

    # the year's remap of DATUMAANVANGHH replaces the table's remap of it for files of 2022
    (folder / "layouts.toml").write_text(
        "[gbahuishoudensbus]\n"
        'remap = { STARTDATUM = "DATUMAANVANGHH" }\n'
        "[gbahuishoudensbus.years.2022]\n"
        'remap = { datumbeginhh = "DATUMAANVANGHH" }\n'
    )
    result = ingest(con, folder)
    con.close()
    assert result.applied and result.unknown_columns == {}
    for table in ("gbapersoontab", "kindoudertab", "gbahuishoudensbus"):
        assert _differences(db, loaded, table) == ([], [])


def test_project_file_and_delivery_file_merge_and_the_delivery_wins(tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "reshaped", _reshaped_tables())
    project = tmp_path / "project-layouts.toml"
    project.write_text(WORKED_EXAMPLE.replace('["99"]', '["88"]'), encoding="utf-8")
    con = connect(tmp_path / "merged.duckdb")
    with pytest.raises(DeliveryRejected) as raised:  # the project's sentinel 88 does not cover the month 99
        ingest(con, folder, strict_codes=True, layouts=project)
    assert [(v.column, v.rule) for v in raised.value.violations] == [("GBAGEBOORTEMAAND", "month")]

    delivery_text = '[gbapersoontab]\nsentinels = { GBAGEBOORTEMAAND = ["99"] }\n'
    (folder / "layouts.toml").write_text(delivery_text, encoding="utf-8")
    result = ingest(con, folder, strict_codes=True, layouts=project)
    assert result.applied
    recorded = con.execute("select source, file_name, text from meta.layout_overrides order by source").fetchall()
    month = con.execute("select GBAGEBOORTEMAAND from raw.gbapersoontab where RINPERSOON = '000000031'").fetchone()
    con.close()
    assert recorded == [("delivery", "layouts.toml", delivery_text), ("project", str(project), project.read_text())]
    assert month == (None,)


def test_cli_takes_a_project_file(tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "reshaped", _reshaped_tables())
    project = tmp_path / "layouts.toml"
    project.write_text(WORKED_EXAMPLE, encoding="utf-8")
    db = tmp_path / "cli.duckdb"
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--strict-codes", "--layouts", str(project)],
                                 terminal_width=400)
    assert outcome.exit_code == 0, outcome.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select source, text from meta.layout_overrides").fetchall() == [("project", WORKED_EXAMPLE)]
    con.close()


#: (overrides text, words the single message line must contain)
BAD_FILES = {
    "not toml": ("[gbapersoontab\nremap = 1\n", ["not valid TOML", "line 1"]),
    "unknown table": ("[gbapersoon]\nremap = {}\n", ["[gbapersoon]", "unknown table", "gbapersoontab?"]),
    "table not a table": ("gbapersoontab = 1\n", ["gbapersoontab", "must be a table"]),
    "unknown key": ('[gbapersoontab]\nrename = { GESLACHT = "GBAGESLACHT" }\n', ["[gbapersoontab] rename", "unknown key"]),
    "unknown remap target": ('[gbapersoontab]\nremap = { GESLACHT = "GBASEX" }\n',
                             ["[gbapersoontab] remap.GESLACHT", "GBASEX is not a column of gbapersoontab"]),
    "remap duplicate": ('[gbapersoontab]\nremap = { GESLACHT = "GBAGESLACHT", SEX = "GBAGESLACHT" }\n',
                        ["[gbapersoontab] remap", "GESLACHT and SEX", "GBAGESLACHT", "duplicate"]),
    "remap duplicate by case": ('[gbapersoontab]\nremap = { geslacht = "GBAGESLACHT", GESLACHT = "GBAGESLACHT" }\n',
                                ["[gbapersoontab] remap.GESLACHT", "same delivered column"]),
    "remap of a layout column": ('[gbapersoontab]\nremap = { GBAGENERATIE = "GBAGESLACHT" }\n',
                                 ["[gbapersoontab] remap.GBAGENERATIE", "layout column GBAGENERATIE", "duplicate"]),
    "remap target not a string": ("[gbapersoontab]\nremap = { GESLACHT = 1 }\n",
                                  ["[gbapersoontab] remap.GESLACHT", "not an integer"]),
    "remap not a table": ('[gbapersoontab]\nremap = "GBAGESLACHT"\n', ["[gbapersoontab] remap", "not a string"]),
    "sentinels not a list": ('[gbapersoontab]\nsentinels = { GBAGEBOORTEMAAND = "99" }\n',
                             ["[gbapersoontab] sentinels.GBAGEBOORTEMAAND", "list of strings", "not a string"]),
    "sentinel numbers": ("[gbapersoontab]\nsentinels = { GBAGEBOORTEMAAND = [99] }\n",
                         ["[gbapersoontab] sentinels.GBAGEBOORTEMAAND", "list of strings"]),
    "sentinels of an unknown column": ('[gbapersoontab]\nsentinels = { MAAND = ["99"] }\n',
                                       ["[gbapersoontab] sentinels.MAAND", "not a column of gbapersoontab"]),
    "sentinels of a key": ('[gbapersoontab]\nsentinels = { RINPERSOON = ["0"] }\n',
                           ["[gbapersoontab] sentinels.RINPERSOON", "key column"]),
    "codes without a code list": ('[gbapersoontab]\ncodes = { GBAGENERATIE = ["7"] }\n',
                                  ["[gbapersoontab] codes.GBAGENERATIE", "no code list"]),
    "year not a year": ("[gbapersoontab.years.latest]\nremap = {}\n", ["[gbapersoontab] years.latest", "4 digits"]),
    "unknown key in a year": ('[gbapersoontab.years.2019]\ncodes = { GBAGESLACHT = ["3"] }\n',
                              ["[gbapersoontab] years.2019.codes", "only remap"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_overrides_file_is_rejected_with_one_line(case: str, loaded: Path, tmp_path: Path) -> None:
    text, words = BAD_FILES[case]
    folder = write_tiny_delivery(tmp_path / "bad", _reshaped_tables())
    (folder / "layouts.toml").write_text(text, encoding="utf-8")
    error = rejected(loaded, folder, strict_codes=True)
    assert len(error.violations) == 1, error.violations
    line = str(error.violations[0])
    assert line.startswith("layouts.toml: [layout overrides] ") and "\n" not in line
    for word in words:
        assert word in line, line


def test_cli_rejects_a_bad_project_file_without_a_traceback(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "reshaped", _reshaped_tables())
    project = tmp_path / "project.toml"
    project.write_text('[gbapersoontab]\nremap = { GESLACHT = "GBASEX" }\nsentinels = { MAAND = ["99"] }\n[gbapersoon]\n')
    before = _file_hash(loaded)
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded), "--layouts", str(project)],
                                 terminal_width=400)
    assert outcome.exit_code == 2, outcome.output
    assert _file_hash(loaded) == before
    assert "Traceback" not in outcome.output
    problems = [line for line in outcome.output.splitlines() if line.startswith(f"  - {project}: [layout overrides]")]
    assert len(problems) == 3, outcome.output
    missing = tmp_path / "no-such.toml"
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "new.duckdb"), "--layouts", str(missing)],
                                 terminal_width=400)
    assert outcome.exit_code == 2 and f"{missing}: [layout overrides] cannot read" in outcome.output, outcome.output
    assert not (tmp_path / "new.duckdb").exists()

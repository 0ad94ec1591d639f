# Two commands do everything on a fresh machine:
#   make demo   create the virtual environment, generate the default synthetic delivery,
#               ingest it, build the warehouse with dbt, print a summary, write the report
#   make test   run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
PERSONS ?= 50000
SEED ?= 20240228

.PHONY: install demo test bench clean docs

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint requirements.lock --editable ".[test]"
	touch $@

install: $(BIN)/.installed

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/warehouse generate --persons $(PERSONS) --seed $(SEED) --out $(DEMO_DIR)/delivery --truth $(DEMO_DIR)/truth
	$(BIN)/warehouse ingest $(DEMO_DIR)/delivery --db $(DEMO_DIR)/warehouse.duckdb
	$(BIN)/warehouse build --db $(DEMO_DIR)/warehouse.duckdb
	$(BIN)/warehouse status --db $(DEMO_DIR)/warehouse.duckdb
	$(BIN)/warehouse report --db $(DEMO_DIR)/warehouse.duckdb --out $(DEMO_DIR)/report
	@echo "report: $(DEMO_DIR)/report/index.html"

test: install
	$(BIN)/python -m pytest

docs: install
	cd dbt_project && WAREHOUSE_DB=../$(DEMO_DIR)/warehouse.duckdb ../$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf $(DEMO_DIR) dbt_project/target dbt_project/logs .pytest_cache

# Everything a fresh machine with Python 3.11+ needs: `make demo` and `make test` create the virtual
# environment, install the package and its dependencies, generate the demo data and run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-airflow lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask,lab]"
	touch $(STAMP)

data/.generated: $(STAMP) $(wildcard auditlib/demo/*.py)
	$(BIN)/auditlib demo --out data --next-period
	touch data/.generated

## demo: audit the bundled demo institutions -> outputs/ (reports, working papers, batch summary), then
## demo-a's follow-up period, which reads the annual audit's outputs (the responses' overdue actions)
demo: data/.generated
	$(BIN)/auditlib batch params/ --out outputs
	$(BIN)/auditlib run params/next/demo-a.yaml --out outputs

## test: lint, rule docs current, and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check auditlib tests benchmarks scripts
	$(BIN)/ruff format --check auditlib tests benchmarks scripts
	$(BIN)/auditlib rules --docs docs/rules --check
	$(BIN)/python -m pytest -n 2 -q

## test-airflow: the example DAG in a real Airflow (its own virtual environment; not part of `make test`):
## imported with DagBag, then `airflow dags test` on throwaway params of two months (tests/airflow/check_dag.py)
AIRFLOW_VENV    ?= .venv-airflow
AIRFLOW_VERSION ?= 3.3.2
$(AIRFLOW_VENV)/.installed:
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet "apache-airflow==$(AIRFLOW_VERSION)"
	touch $@

test-airflow: $(STAMP) $(AIRFLOW_VENV)/.installed
	$(AIRFLOW_VENV)/bin/python tests/airflow/check_dag.py --auditlib $(abspath $(BIN))/auditlib

docs: $(STAMP)
	$(BIN)/auditlib rules --docs docs/rules
	$(BIN)/auditlib datarequest --out docs

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) data outputs .pytest_cache

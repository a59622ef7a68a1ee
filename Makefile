# Everything a fresh machine with Python 3.11+ needs: `make demo` and `make test` create the virtual
# environment, install the package and its dependencies, generate the demo data and run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint docs bench clean

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
	$(BIN)/ruff check auditlib tests benchmarks
	$(BIN)/auditlib rules --docs docs/rules --check
	$(BIN)/python -m pytest -n 2 -q

docs: $(STAMP)
	$(BIN)/auditlib rules --docs docs/rules
	$(BIN)/auditlib datarequest --out docs

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) data outputs .pytest_cache

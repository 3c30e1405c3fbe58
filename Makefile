# Rapport — two commands on a fresh machine: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-m lint messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $$(sh scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rapport demo

test: $(STAMP)
	$(PY) -m ruff check rapport conftest.py
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m rapport.bench --size S

bench-m: $(STAMP)
	$(PY) -m rapport.bench --size M

lint: $(STAMP)
	$(PY) -m ruff check rapport conftest.py
	$(PY) -m ruff format --check rapport conftest.py
	$(VENV)/bin/lint-imports

messages: $(STAMP)
	$(PY) scripts/messages.py

clean:
	rm -rf $(VENV) var/*.sqlite3*

# Rapport — two commands on a fresh machine: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test crash fuzz load bench bench-m lint messages clean

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

# schemathesis, every check, against a freshly served demo with a bearer token; bounded in
# examples and time, non-zero on any failure. FUZZ_ARGS="--max-examples 50 --max-time 600" digs deeper.
fuzz: $(STAMP)
	$(PY) scripts/fuzz.py $(FUZZ_ARGS)

# locust: 50 agents against a served S dataset; p50/p95/p99 per request type and the 5xx count.
# LOAD_ARGS="--users 50 --run-time 90" ; set DATABASE_URL to load PostgreSQL.
load: $(STAMP)
	$(PY) -m pip install --quiet -e '.[load]'
	$(PY) scripts/load.py $(LOAD_ARGS)

# Only the kill -9 drills (workers mid-sweep, the sending task, gunicorn mid-transition); they
# are part of `make test` too. With DATABASE_URL=postgres://… they run on PostgreSQL.
crash: $(STAMP)
	$(PY) -m pytest -q -m crash $(PYTEST_ARGS)

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

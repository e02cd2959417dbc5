# The two commands of the README: `make run` serves the portal, `make test` runs the suite.
# Both create .venv with the machine's python3 and install the locked dependencies.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint typecheck format lock install clean

$(STAMP): requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.lock
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed --demo --projects 500
	@# DEBUG off: visitors see the portal's own 404/500 pages and the API's error shape, never
	@# Django's technical pages; --insecure serves the static files without DEBUG.
	DEBUG=0 SECRET_KEY="$${SECRET_KEY:-make-run-development-key-not-for-production-0123456789}" \
	  $(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy covenant sectors governance compliance

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock:
	$(PY) -m piptools compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/base.lock requirements/base.in
	$(PY) -m piptools compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/dev.lock requirements/dev.in

clean:
	rm -rf $(VENV) db.sqlite3 media

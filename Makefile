# Motor Neuron Trainer — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DEBUG=1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format fixture serve bench clean check-deploy screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py loaddata fixtures/motor_neurons.json
	$(DEV_ENV) $(BIN)/python manage.py load_demo

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ — log in as learner / motorneuron"
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest

# The README's screenshots, taken by the browser tests (which `make test` also runs, saving
# them to a temporary folder instead).
screenshots: install
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/browser

# Rebuild the content fixture's generated cards after editing facts in it.
fixture: install
	rm -f /tmp/mnt-fixture.sqlite3
	DEBUG=1 DATABASE_URL=sqlite:////tmp/mnt-fixture.sqlite3 sh -c '\
	  $(BIN)/python manage.py migrate -v0 && \
	  $(BIN)/python manage.py loaddata fixtures/motor_neurons.json && \
	  $(BIN)/python manage.py generate_cards && \
	  $(BIN)/python manage.py dumpdata --natural-foreign --natural-primary --indent 1 \
	    study.comparison study.attribute study.fact study.vignette study.card study.deck \
	    -o fixtures/motor_neurons.json'

check-deploy: install
	SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-looking-secret-value-xyz ALLOWED_HOSTS=example.org \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

# Production-like serving: PostgreSQL when DATABASE_URL is set (SQLite otherwise), gunicorn
# sized from the core count (gunicorn.conf.py). Needs SECRET_KEY and ALLOWED_HOSTS in the env.
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn -c gunicorn.conf.py motorneuron.wsgi

# A benchmark, not a test (never part of `make test` or CI): seeds a dedicated PostgreSQL
# database once (BENCH_DATABASE_URL), runs gunicorn on a loopback port and a load generator,
# prints a table and writes docs/performance.md. About 5-10 minutes on 2 cores.
bench: install
	$(BIN)/python tests/perf/bench.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

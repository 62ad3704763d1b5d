# Task recipes. `make run` for a working demo on SQLite, `make test` for every check CI runs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run serve test lint format messages deploy-check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Install, migrate, load the demo street once, and serve http://127.0.0.1:8000 on SQLite.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# The worker runs background jobs (imports, large exports) beside the web server and stops when it stops.
	$(PY) manage.py db_worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:8000

## ruff, the migrations check, then the whole pytest suite (DATABASE_URL picks the database), browser tests included.
test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

.PHONY: browser screenshots
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

## Debian's chromium for the browser tests (tests/e2e), installed with apt when missing and we are root. Never
## fails: where no browser can be installed the browser tests are skipped, and say what is missing.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			($(APT_INSTALL) chromium) || echo "make browser: apt-get could not install chromium"; \
		else echo "make browser: chromium is missing; as root: apt-get install chromium"; fi; \
		command -v chromium >/dev/null || echo "make browser: no chromium, so the browser tests will be skipped"; }

## The README's screenshots (docs/screenshots/*.png), taken by the browser tests from the demo street; Chinese
## fonts and pngquant (it shrinks the PNGs) are installed with apt when missing and we are root.
screenshots: install browser
	@dpkg -s fonts-noto-cjk pngquant >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ($(APT_INSTALL) fonts-noto-cjk pngquant) || true
	WENXIN_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest tests/e2e/screenshots.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Extract translatable strings into the English catalogue and compile it (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages --locale en --no-obsolete --no-location --ignore ".venv/*" --ignore "tests/*"
	$(PY) manage.py compilemessages --locale en --ignore ".venv/*"

## The production settings pass Django's deployment checks.
deploy-check: install
	DEBUG=False SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=wenxin.example.org $(PY) manage.py check --deploy --fail-level WARNING

.PHONY: backup restore

## A backup of the whole database (DATABASE_URL) into BACKUP_DIR: pg_dump -Fc on PostgreSQL, dumpdata on SQLite.
backup: install
	$(PY) manage.py backup

## Load a backup into the database of DATABASE_URL, which should be new and empty: make restore FILE=path
## (REPLACE=1 overwrites a database that holds data, after asking). See docs/backup.md.
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=/path/to/backup [REPLACE=1]"; exit 2; }
	$(PY) manage.py restore $(if $(REPLACE),--replace) "$(FILE)"

.PHONY: bench bench-city-data load
BENCH_PG ?= postgres://postgres@127.0.0.1:5432

## The main pages measured on SQLite and PostgreSQL at street scale (built on first use) and the city when it exists,
## then docs/performance.md (bench/). BENCH_REPEAT requests per page (20).
bench: install
	BENCH_PG=$(BENCH_PG) $(PY) -m bench.suite

## Once, for make bench: the city in wenxin_city (50 streets, 2,000,000 households, 3 years of visits), ~15 minutes.
bench-city-data: install
	BENCH_PG=$(BENCH_PG) $(PY) -m bench.suite --only postgresql-city --build-only

## gunicorn on 127.0.0.1 and 50 simulated social workers (locust) for 60 s against wenxin_street: zero errors, every
## acknowledged visit stored; bench/results/load.md.
load: install
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	BENCH_PG=$(BENCH_PG) $(PY) -m bench.suite --only postgresql-street --build-only
	DATABASE_URL=$(BENCH_PG)/wenxin_street $(PY) -m bench.load
	$(PY) -m bench.report

clean:
	rm -rf $(VENV) staticfiles

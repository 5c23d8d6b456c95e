# The two commands a newcomer needs: `make run` and `make test`.
# Both create the virtual environment in .venv, install the locked set of
# dependencies (requirements.lock, every version and file hash fixed) and compile
# the translation catalogs first. Upgrading is a deliberate change: `make lock`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-large check status catalogs translations setup lock clean

run: setup
	$(PY) run_kiosk.py $(ARGS)

# The suite runs on every core (pytest-xdist), one test file to a worker at a time, so a
# file's shared kiosk or browser is started once; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto

test: setup lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check kiosk tests benchmarks run_kiosk.py setup.py

bench: setup
	$(PY) benchmarks/bench.py

bench-large: setup
	$(PY) benchmarks/bench.py --large

check: setup
	$(VENV)/bin/flask --app kiosk content check $(DIR)

setup: $(STAMP) catalogs

# The locked set first, every file checked against its hash; then the kiosk itself,
# built with the locked setuptools and Babel rather than whatever is newest.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Resolve pyproject.toml's dependencies (and the build's setuptools) again into requirements.lock.
lock: $(STAMP)
	printf 'setuptools>=77\n' | $(VENV)/bin/uv pip compile pyproject.toml - --all-extras --generate-hashes \
	  --universal --python-version 3.11 --custom-compile-command "make lock" --output-file requirements.lock

# Compiled the kiosk's one way (the same at start-up and in the package build); only what changed.
catalogs: $(STAMP)
	$(PY) kiosk/catalog_compiling.py translations

translations: setup
	$(VENV)/bin/flask --app kiosk translate update

clean:
	rm -rf $(VENV) translations/*/LC_MESSAGES/messages.mo .pytest_cache

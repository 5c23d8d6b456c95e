# The two commands a newcomer needs: `make run` and `make test`.
# Both create the virtual environment in .venv, install what is needed and
# compile the translation catalogs first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: run test bench check status catalogs translations setup clean

run: setup
	$(PY) run_kiosk.py $(ARGS)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/bench.py

check: setup
	$(VENV)/bin/flask --app kiosk content check $(DIR)

setup: $(STAMP) $(CATALOGS)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(PY) -m babel.messages.frontend compile -i $< -o $@

catalogs: $(CATALOGS)

translations: setup
	$(VENV)/bin/flask --app kiosk translate update

clean:
	rm -rf $(VENV) $(CATALOGS) .pytest_cache

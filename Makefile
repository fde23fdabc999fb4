# The two commands of README: `make gate` (the launch gate) and `make test` (the tests).
PY := .venv/bin/python
REPORT ?= gate-report

.PHONY: setup gate test matrix lint bench clean

setup:
	@bash scripts/setup.sh

## The full launch gate against the embedded reference app (or DEPLOYMENT=profile.toml, BASE_URL=...);
## exit status = verdict.
gate: setup
	@bash scripts/gate.sh $(REPORT) $(if $(DEPLOYMENT),--gate-deployment $(DEPLOYMENT),) $(if $(BASE_URL),--base-url $(BASE_URL),)

## Lint, type-check and run the plugin's own tests, with every defect proven to turn its gate red.
test: setup lint
	$(PY) -m pytest tests -p no:cacheprovider -n 2 --dist worksteal -m "not clean_app"

## The clean half of the defect matrix: every gate folder GO against the clean app (run it alone).
matrix: setup
	$(PY) -m pytest tests/defects -p no:cacheprovider -m clean_app

## The two type checks run side by side, each with a cache of its own; lint fails if either does.
lint:
	$(PY) -m ruff check src tests suites benchmarks
	@$(PY) -m mypy & packages=$$!; \
	$(PY) -m mypy --strict --explicit-package-bases --cache-dir .mypy_cache/tests tests suites; tests=$$?; \
	wait $$packages && exit $$tests

bench: setup
	$(PY) benchmarks/plugin_overhead.py

clean:
	rm -rf $(REPORT) .pytest_cache .mypy_cache .ruff_cache

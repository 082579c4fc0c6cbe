# The two commands of the README. Both create .venv with Python 3.11 when it is missing.
.PHONY: run test lint bench

run:
	@scripts/run

test:
	@scripts/test

lint:
	@.venv/bin/ruff check .

bench:
	@scripts/bootstrap && .venv/bin/hotline bench all

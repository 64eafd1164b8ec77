# Every target creates .venv on first use; later runs only reinstall when pyproject.toml changed.
# `test` and `demo` first install the Debian packages they need (scripts/setup-system.sh: apt-get
# when root or password-less sudo, otherwise one line naming the packages and the command).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint install clean system-demo system-test

$(BIN)/python:
	@PY=$(PY) scripts/setup-system.sh venv
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,postgres,train,cluster]'
	touch $(STAMP)

install: $(STAMP)

system-demo:
	@scripts/setup-system.sh pdf

system-test:
	@scripts/setup-system.sh pdf postgres browser cpu

demo: system-demo $(STAMP)
	$(BIN)/railwatch demo --out demo-output

test: system-test $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) demo-output build *.egg-info src/*.egg-info

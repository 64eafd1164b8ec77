# Every target creates .venv on first use; later runs only reinstall when pyproject.toml changed.
# `test` and `demo` first install the Debian packages they need (scripts/setup-system.sh: apt-get
# when root or password-less sudo, otherwise one line naming the packages and the command).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint install clean static system-demo system-test

# The dashboard's browser libraries come from the npm registry (frontend/package-lock.json)
# and are copied into the package; the copies are generated, never committed.
VENDOR := src/railwatch/web/static/vendor
VENDOR_STAMP := $(VENDOR)/.built

$(VENDOR_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/images
	cp frontend/node_modules/leaflet/dist/leaflet.js frontend/node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp frontend/node_modules/leaflet/dist/images/*.png $(VENDOR)/images/
	cp frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js frontend/node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	touch $(VENDOR_STAMP)

static: $(VENDOR_STAMP)

$(BIN)/python:
	@PY=$(PY) scripts/setup-system.sh venv
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,postgres,train,cluster]'
	touch $(STAMP)

install: $(STAMP) $(VENDOR_STAMP)

system-demo:
	@scripts/setup-system.sh pdf

system-test:
	@scripts/setup-system.sh pdf postgres browser cpu

demo: system-demo $(STAMP) $(VENDOR_STAMP)
	$(BIN)/railwatch demo --out demo-output
	@echo "serve the demo store: $(BIN)/railwatch serve --db demo-output/railwatch.db"
	@echo "  then open http://127.0.0.1:8000/#/site/tumangang?as_of=2023-10-06"

test: system-test $(STAMP) $(VENDOR_STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP) $(VENDOR_STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) $(VENDOR) frontend/node_modules demo-output build *.egg-info src/*.egg-info

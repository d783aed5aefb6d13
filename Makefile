# Every target creates or refreshes .venv by itself when pyproject.toml changes.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
SAM_VENV  := .tools/sam
SAM       := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_VENV  := .tools/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
ROOT      := $(CURDIR)

.PHONY: demo test test-unit test-integration test-e2e lint bench schemas build up deploy clean venv \
	reliability iac-scan

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip>=25,<26.3"
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -c "import site,sys; open(site.getsitepackages()[0]+'/courtyard-src.pth','w').write('\n'.join(['$(ROOT)','$(ROOT)/functions','$(ROOT)/layers/courtyard'])+'\n')"
	touch $(STAMP)

venv: $(STAMP)

# SAM CLI pins older boto3/pydantic, so it lives in its own tool environment.
$(SAM_STAMP):
	$(PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q "aws-sam-cli>=1.120,<2"
	touch $(SAM_STAMP)

# checkov pins its own dependency tree: like SAM, it gets a tool environment of its own.
$(CHECKOV_STAMP):
	$(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q "checkov>=3.2,<4"
	touch $(CHECKOV_STAMP)

demo: $(STAMP)
	$(BIN)/python -m infra.local demo

up: $(STAMP)
	$(BIN)/python -m infra.local up

test: lint test-unit test-integration test-e2e

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

# One worker per core (pytest-xdist), a test file per worker at a time: each file provisions its own
# in-process moto stack once (module scope), so files, not single tests, are what workers share out.
# The e2e suite stays serial: its local cloud is one per session and owns ports and worker processes.
XDIST := -n auto --dist loadfile

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

lint: $(STAMP) $(SAM_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m infra.module_size
	$(BIN)/mypy layers/courtyard/courtyard functions schemas infra iot bench tests
	$(BIN)/cfn-lint template.yaml tests/e2e/probe/template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template template.yaml
	@if [ -f ../shared/tools/house_rules.py ]; then $(BIN)/python ../shared/tools/house_rules.py .; fi

# The promises under abuse (issue 9): run by CI after `make test`, bounded in time (about 2 minutes):
# the cross-tenant matrix, fault injection through botocore, schemathesis on the local cloud, the IaC scan.
# The reliability suites, then the feature tests marked `reliability` (duplicate and concurrent webhooks and
# scans, duplicate domain events, telemetry fuzzing), which make test also runs.
reliability: $(STAMP) iac-scan
	$(BIN)/python -m pytest -q -p no:randomly $(XDIST) tests/reliability
	$(BIN)/python -m pytest -q -p no:randomly $(XDIST) -m reliability tests/integration
	$(BIN)/python -m pytest -q -p no:randomly -m reliability tests/e2e

# An IaC security scan of template.yaml; every skipped check is explained in .checkov.yaml.
iac-scan: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

bench: $(STAMP)
	$(BIN)/python -m bench

schemas: $(STAMP)
	$(BIN)/python -m schemas.generate

build: $(STAMP) $(SAM_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(SAM) build --template template.yaml --build-in-source
	$(BIN)/python infra/build.py compile .aws-sam/build

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache

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

# Some machines export PYTHONDONTWRITEBYTECODE=1 (this one and its CI do): then every process (pytest's xdist
# workers, the local cloud's ~30 function workers, the cold-start probes) compiles the project and rewrites
# pytest's asserts from source again. Recipes write byte-code (git ignores __pycache__/), as Lambda ships it.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-checks test-unit test-integration test-e2e test-ui test-cloud lint lint-types lint-iac lint-python bench schemas build up deploy clean venv \
	reliability iac-scan deploy-web web web-build web-lint web-types-console web-types-mobile web-tests browser \
	ui-screenshots

# The web apps (web/): npm ci once per lock file change, vite build per app, Debian's chromium for tests/ui.
WEB_STAMP    := web/node_modules/.installed
WEB_APPS     := console mobile
WEB_SOURCES  := $(shell find web/shared/src web/console/src web/console/index.html web/console/vite.config.ts \
	web/mobile/src web/mobile/public web/mobile/index.html web/mobile/vite.config.ts -type f 2>/dev/null)
WEB_BUILT    := $(foreach app,$(WEB_APPS),web/$(app)/dist/index.html)
UI_ARTIFACTS ?= $(or $(TMPDIR),/tmp)/courtyard-ui

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

demo: $(STAMP) web-build
	$(BIN)/python -m infra.local demo

up: $(STAMP) web-build
	$(BIN)/python -m infra.local up

# make test runs two lanes side by side, one per core: the checks (lint, then the unit tests, then the
# integration tests, in turn) and the local cloud's lane (the web apps built, then the browser stories and the
# end-to-end tests on one cloud, test-cloud). The cloud's lane waits on the browser and on its cloud's answers
# more than it computes (README "Tests": its CPU per wall second), so the checks fill the cores it leaves idle.
# Each lane's output is printed whole when it ends (--output-sync), the other lane runs on when one fails
# (--keep-going), and make test fails when either lane failed. TEST_LANES=1 runs them one after the other.
TEST_LANES ?= 2

test: $(STAMP) $(WEB_STAMP)
	@$(MAKE) --no-print-directory -j$(TEST_LANES) --keep-going --output-sync=target test-checks test-cloud

# The first lane: each stage only if the one before passed, as make test ran them before the lanes.
test-checks: $(STAMP)
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-integration

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

# Rebuilt when a source of the app or of web/shared changes (the edge serves web/<app>/dist).
web/%/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run build -w $*

web-build: $(WEB_BUILT)

# Type checks of the apps, the shared package's tests, and the generated API schema against openapi.json: three
# parts that `make lint` runs side by side with the Python checks (`make web-lint` alone runs them in turn).
web-lint: web-types-console web-types-mobile web-tests

web-types-console: $(WEB_STAMP)
	cd web && npx tsc --noEmit -p shared && npx vue-tsc --noEmit -p console

web-types-mobile: $(WEB_STAMP)
	cd web && npx vue-tsc --noEmit -p mobile

web-tests: $(WEB_STAMP)
	cd web && npx vitest run --root shared && npx vitest run --root console && npx vitest run --root mobile
	cd web && npx openapi-typescript ../schemas/openapi.json --default-non-nullable=false \
		-o node_modules/.schema-check.d.ts >/dev/null 2>&1
	@cmp -s web/node_modules/.schema-check.d.ts web/shared/src/api/schema.d.ts || \
		{ echo "web/shared/src/api/schema.d.ts is stale: run make schemas and commit it"; exit 1; }

# Debian's chromium and a Chinese font (without it every glyph of a screenshot is a box); no playwright install.
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-wqy-microhei)
	@fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || apt-get install -y fonts-wqy-microhei

test-ui: $(STAMP) web-build browser
	$(BIN)/python -m pytest -q -p no:randomly tests/ui --screenshot only-on-failure --output $(UI_ARTIFACTS)

# Rewrites the reviewed screenshots of tests/ui/screenshots (look at them before committing).
ui-screenshots: $(STAMP) web-build browser
	COURTYARD_UI_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:randomly tests/ui \
		--screenshot only-on-failure --output $(UI_ARTIFACTS)

# Unit tests spread over every core too (no moto stack to share: plain load balancing per test).
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -n auto tests/unit

# One worker per core (pytest-xdist), a test file per worker at a time: each file provisions its own
# in-process moto stack once (module scope), so files, not single tests, are what workers share out.
# The e2e suite stays serial: its local cloud is one per session and owns ports and worker processes.
XDIST := -n auto --dist loadfile

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) tests/integration

test-e2e: $(STAMP) web-build
	$(BIN)/python -m pytest -q tests/e2e

# The stories first, in their order on a freshly seeded cloud as test-ui runs them, then the end-to-end tests
# on the same cloud: one start, one seeding, one sign-in of the demo users (what `make test` runs). An e2e test
# that counts what it made arranges its own (infra.seed.add_household), not the demo's shared units.
# CLOUD_WORKERS=2 lets two pytest-xdist workers, each with a local cloud and a browser of its own, take whole
# files (--dist loadfile: a file's stories keep their order). The lane waits on browsers and clouds more than it
# computes (0.7 of a core alone): two workers took it from 7 min 56 s to 6 min 6 s alone and make test to
# 7 min 58 s, but four stories still count on what another file did on the one cloud (README "Tests"), so
# the default stays one process (0) until they arrange their own.
CLOUD_WORKERS ?= 0

test-cloud: $(STAMP) web-build browser
	$(BIN)/python -m pytest -q -p no:randomly -n $(CLOUD_WORKERS) --dist loadfile tests/ui tests/e2e \
		--screenshot only-on-failure --output $(UI_ARTIFACTS)

# The lint's independent parts run side by side, one per core (LINT_JOBS): mypy and the apps' type checks are
# most of its CPU and each is single-threaded. Each part's output is printed whole when it ends (--output-sync),
# every part runs even when another failed (--keep-going), and make lint fails when any part fails. The longest
# parts come first so the short ones fill in behind them.
LINT_JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
LINT_PARTS := lint-types web-types-console lint-iac web-types-mobile web-tests lint-python

lint: $(STAMP) $(SAM_STAMP) $(WEB_STAMP)
	@$(MAKE) --no-print-directory -j$(LINT_JOBS) --keep-going --output-sync=target $(LINT_PARTS)

lint-types: $(STAMP)
	$(BIN)/mypy layers/courtyard/courtyard functions schemas infra iot bench tests

lint-iac: $(STAMP) $(SAM_STAMP)
	$(BIN)/cfn-lint template.yaml tests/e2e/probe/template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template template.yaml

lint-python: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m infra.module_size
	@if [ -f ../shared/tools/house_rules.py ]; then $(BIN)/python ../shared/tools/house_rules.py --shape .; fi

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

# The console's bench (bench/console.py) loads the built console in Debian's chromium.
bench: $(STAMP) web-build browser
	$(BIN)/python -m bench

schemas: $(STAMP) $(WEB_STAMP)
	$(BIN)/python -m schemas.generate
	cd web && npm run schema

build: $(STAMP) $(SAM_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(SAM) build --template template.yaml --build-in-source
	$(BIN)/python infra/build.py compile .aws-sam/build

# sam deploy, then the stack's SecureString parameters (CloudFormation cannot create them): each missing one is
# created with a generated value, none is overwritten (STACK=<stack name>; see infra/secure_parameters.py).
deploy: build
	$(SAM) deploy --guided
	$(BIN)/python -m infra.secure_parameters $(or $(STACK),$(error STACK=<stack name> is required))

# After `make deploy`: the built web apps and config.json to the stack's bucket (STACK=<stack name>;
# PUSH_CONFIG=<file> adds the mobile app's Firebase web push settings, see infra/deploy_web.py).
deploy-web: $(STAMP) web-build
	$(BIN)/python -m infra.deploy_web $(STACK) $(if $(PUSH_CONFIG),--push-config $(PUSH_CONFIG))

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache

# The two commands of the README: `make run` and `make test`. Both install what is missing first.
# Other targets: build, asan, unit, api, e2e, bench, fuzz, format, check-format, clean.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BIN        := $(BUILD)/bookchat
ASAN_BIN   := $(ASAN_BUILD)/bookchat
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS  ?= suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0

.PHONY: all deps build asan test unit api api-dynamo api-regions e2e crash run bench fuzz fuzz-smoke format check-format clean lambda-package

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBC_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# Every suite, under AddressSanitizer + UndefinedBehaviorSanitizer; the release build is built too so that
# its warnings (-O2 sees more) fail the run as well.
test: build asan check-format
	@$(MAKE) --no-print-directory unit api api-dynamo api-regions e2e fuzz-smoke deploy-test

unit:
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

api:
	BOOKCHAT_BIN=$(CURDIR)/$(ASAN_BIN) node --test --test-reporter=spec tests/api/*.test.mjs

# The API suites with every server on one DynamoDB-protocol table (dynalite), as a scaled-out deployment
# runs: the processes share BOOKCHAT_STORE and BOOKCHAT_SECRET. secrets.test.mjs reads LMDB's file and
# crash.test.mjs checks LMDB's recovery (`store check` on the data directory), so they stay on the LMDB run.
# Servers of concurrent suites share the table and its notification queue, so only the servers that test
# notifications (with their own SMTP and webhook stand-ins) dispatch: the others run with dispatcher=off.
# The same for the calendar poller (calendars_import.test.mjs turns it on for its own server).
# mailcatcher.test.mjs starts no server (it tests the SMTP catcher of tests/api/lib).
DYNAMO_SUITES := $(filter-out tests/api/secrets.test.mjs tests/api/crash.test.mjs tests/api/backup.test.mjs tests/api/mailcatcher.test.mjs,$(wildcard tests/api/*.test.mjs))
api-dynamo:
	BOOKCHAT_BIN=$(CURDIR)/$(ASAN_BIN) BOOKCHAT_SECRET=dynamo-suite-shared-secret-0123456789 BOOKCHAT_DISPATCHER=off BOOKCHAT_CALENDAR_POLLER=off \
	  node tests/store/with-dynalite.mjs --bin $(CURDIR)/$(ASAN_BIN) -- \
	  node --test --test-reporter=spec $(DYNAMO_SUITES)

# Home regions (docs/scaling.md): two dynalite replicas with a last-writer-wins replicator between them and a
# bookchat process per region (tests/store/regions.test.mjs starts them all itself; about 15 s).
api-regions:
	BOOKCHAT_BIN=$(CURDIR)/$(ASAN_BIN) node --test --test-reporter=spec tests/store/regions.test.mjs

# Browser tests: playwright-core driving Debian's chromium (headless) against a real server, one test file
# at a time (each starts one browser); screenshots go to test-artifacts/screenshots/ (docs/web.md).
e2e:
	BOOKCHAT_BIN=$(CURDIR)/$(ASAN_BIN) node --test --test-concurrency=1 --test-reporter=spec tests/e2e/*.test.mjs

# The full crash-safety run: 50 SIGKILL cycles under booking load (make test runs a few).
crash: build
	CRASH_CYCLES=$${CRASH_CYCLES:-50} BOOKCHAT_BIN=$(CURDIR)/$(BIN) node --test --test-reporter=spec tests/api/crash.test.mjs

# Installs the binary (web assets inside), the systemd unit, its sysusers.d user and the docs under PREFIX,
# staged under DESTDIR when set: `sudo make install`, or `make install PREFIX=/usr DESTDIR=$$PWD/pkg`.
PREFIX ?= /usr/local
.PHONY: install deploy-test deploy-aws-test deploy-server-test
install: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

# Deployment checks that need no cloud account (docs/deploy.md): the CDK app type-checked, synthesised and
# its template asserted (deploy/aws/test, a fixture instead of the Lambda package); and the plain-server
# pieces: `make install` layout, the systemd unit (systemd-analyze), the Dockerfile and the compose file.
deploy-test: deploy-aws-test deploy-server-test

deploy-aws-test: deps
	node_modules/.bin/tsc -p deploy/aws
	node deploy/aws/run.mjs --test --test-reporter=spec

deploy-server-test: build
	BOOKCHAT_BIN=$(CURDIR)/$(BIN) node --test --test-reporter=spec tests/deploy/*.test.mjs

# The AWS Lambda package (provided.al2023): build/lambda-package/ (bootstrap, lib/) and its zip; docs/lambda.md.
lambda-package: deps
	@scripts/lambda-package.sh $(BUILD) $(BUILD)/lambda-package

run: build
	$(BIN) serve --demo

# libFuzzer targets (clang): `make fuzz` runs each for FUZZ_SECONDS (default 60); make test runs each briefly.
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	@scripts/fuzz.sh 5

bench: build
	@scripts/bench.sh $(BIN)

format:
	@scripts/check-format.sh --fix

check-format:
	@scripts/check-format.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz

# Two commands matter on a fresh machine: `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -o pipefail -ec
NODE_MODULES_STAMP := node_modules/.installed

.PHONY: all install build run test test-deps bench bench-deps c-compiler bench-range fuzz soak docs dist clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Our addons (binding.gyp: native/prober.c for checks/native-prober.ts, native/pipe.c for
# process/os-pipe.ts), built by npm's own node-gyp as `npm ci` builds them; again here when
# a source changed since.
ADDONS := build/Release/prober.node build/Release/pipe.node
$(ADDONS) &: native/prober.c native/pipe.c binding.gyp $(NODE_MODULES_STAMP)
	npm run --silent install

install: $(NODE_MODULES_STAMP) $(ADDONS)

# One build, also `npm run build`: proto generator, a clean dist/ (tsc never deletes the
# output of a removed source, so a stale test would still run), tsc.
build: install
	npm run --silent build

# The embedded local agent runs the sample web task; Ctrl-C kills it.
run: build
	node dist/cli/main.js run examples/web-server.json

test: build test-deps
	npx tap 'dist/test/**/*.test.js' 2>&1 | node scripts/tap-summary.mjs

# What the tests need besides node_modules: Debian's chromium for the task page's browser
# tests (test/ui/, driven by playwright-core, which downloads no browser), and a C compiler
# for the C programs of bench/checks (test/bench/syscall-floor.test.ts, target-server.test.ts).
test-deps: c-compiler
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# What the benchmarks need besides node_modules: Debian's Go builds the kubelet-prober
# baseline of bench/checks (shared/anchors/kubelet-prober) in the same run, and cc its
# system-call floor and target server (bench/checks/*.c).
bench-deps: c-compiler
	@command -v go >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go; }

c-compiler:
	@command -v cc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc; }

bench: build bench-deps
	node dist/bench/run.js

# The target figures over 5 runs of the suites that hold them (bench/results/range.json).
bench-range: build bench-deps
	node dist/bench/range.js 5

# Full-size robustness suites (a short fixed-seed slice of each runs in make test).
fuzz: build
	SIDECAR_SUITE_SCALE=full npx tap --timeout 3600 'dist/test/fuzz/**/*.test.js' 2>&1 | node scripts/tap-summary.mjs

soak: build
	SIDECAR_SUITE_SCALE=full npx tap --timeout 3600 --jobs 1 'dist/test/soak/**/*.test.js' 2>&1 | node scripts/tap-summary.mjs

# Re-renders the figure tables of README.md and docs/*.md from bench/results/*.json.
docs: build
	node dist/bench/report.js --update

# mesos-sidecar-VERSION-linux-x64.tar.gz for the Mesos fetcher (docs/operators.md).
dist: build
	node scripts/dist.mjs

clean:
	rm -rf dist proto/generated

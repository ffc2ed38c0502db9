# Two commands matter on a fresh machine: `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -o pipefail -ec
NODE_MODULES_STAMP := node_modules/.installed

.PHONY: all install build run test bench clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_MODULES_STAMP)

build: install
	node proto/generate.mjs
	npx tsc -p tsconfig.json

# The embedded local agent runs the sample web task; Ctrl-C kills it.
run: build
	node dist/cli/main.js run examples/web-server.json

test: build
	npx tap 'dist/test/**/*.test.js' 2>&1 | node scripts/tap-summary.mjs

bench: build
	node dist/bench/run.js

clean:
	rm -rf dist proto/generated

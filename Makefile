# ciam — the two commands are `make run` and `make test`; the rest serve them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
NPM ?= npm
APT_PACKAGES_TEST := chromium postgresql gcc

.PHONY: run test build generate check-generated vet deps-run deps-test pg-start pg-stop clean load load-aml fuzz

## run: build and start everything with demo data on http://localhost:8080
run: deps-run build
	./bin/ciam dev

## test: install what the tests need, check generated code, vet, and run every test
test: deps-test check-generated vet build
	@url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$(./bin/ciam pg start)"; trap './bin/ciam pg stop' EXIT; fi; \
	echo "tests use $${url%%\?*}"; \
	DATABASE_URL="$$url" CIAM_ROOT="$(CURDIR)" $(GO) test -race -count=1 -timeout 15m ./...; \
	DATABASE_URL="$$url" CIAM_ROOT="$(CURDIR)" $(MAKE) --no-print-directory fuzz

# The fuzz targets, as package:Target; `make fuzz` runs each for FUZZTIME.
# Their seed corpora (f.Add, and testdata/fuzz when a crash was found) also
# run as plain tests in every `go test`.
FUZZ_TARGETS := ./web/api:FuzzDecode ./internal/evidence:FuzzJudge ./internal/evidence:FuzzMRZ \
	./internal/screening/listfuzz:FuzzParseOFAC ./internal/screening/listfuzz:FuzzParseUN \
	./internal/screening/listfuzz:FuzzParseSenzing ./internal/aml:FuzzCompile
FUZZTIME ?= 5s

## fuzz: run every fuzz target for FUZZTIME (needs DATABASE_URL, as make test sets it)
fuzz:
	@log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  pkg="$${t%%:*}"; name="$${t##*:}"; \
	  echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -parallel 2 "$$pkg" >"$$log" 2>&1 || { cat "$$log"; exit 1; }; \
	done

build:
	$(GO) build -o bin/ciam ./cmd/ciam

## load: drive the customer API with wrk, hey and ciam-load and print the figures (docs/PERFORMANCE.md)
load:
	bash docs/load/api.sh

## load-aml: drive AML transaction screening at a fixed 1,500/s (ciam-load) and at full load (wrk) and print the figures
load-aml:
	bash docs/load/aml.sh

node_modules: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch node_modules

# Shell fragments: add to $$missing the OS packages reading documents needs
# (OCR, PDF) and lacks; install $$missing (as root, or with sudo).
docs_missing = command -v tesseract >/dev/null && [ -n "$$(ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata 2>/dev/null)" ] || missing="$$missing tesseract-ocr tesseract-ocr-eng"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils";
install_missing = if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else echo "need root to install:$$missing" >&2; exit 1; fi; \
	  $$sudo apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Installs from the OS packages what reading documents needs and is missing.
deps-run: node_modules
	@missing=""; $(docs_missing) $(install_missing)

# Installs from the OS packages what the tests need and is missing.
deps-test: node_modules
	@missing=""; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing="$$missing chromium"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "$${DATABASE_URL:-}" ]; } || missing="$$missing postgresql"; \
	$(docs_missing) $(install_missing)

## generate: regenerate templ views, sqlc queries, the API client, the vendored htmx and the CSS
generate: node_modules
	$(GO) tool templ generate
	$(GO) tool sqlc generate
	$(GO) tool oapi-codegen -config web/api/client/oapi-codegen.yaml web/api/client/openapi.json
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js
	npx --no-install tailwindcss -c tailwind.config.js -i static/src/app.css -o static/css/app.css --minify 2>/dev/null

## check-generated: fail when committed generated code is stale
check-generated: generate
	@if [ -n "$$(git status --porcelain -- views db static web/api/client)" ]; then \
	  echo "generated code is out of date; run make generate and commit:"; git status --porcelain -- views db static web/api/client; exit 1; \
	fi

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd db internal web views static)" || { echo "gofmt needed:"; gofmt -l cmd db internal web views static; exit 1; }

pg-start: build
	./bin/ciam pg start

pg-stop: build
	./bin/ciam pg stop

clean:
	rm -rf bin

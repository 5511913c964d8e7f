# sshstack: every target works on all modules of go.work.
# `go test ./...` does not work at a workspace root, so targets expand the
# module list into package patterns (github.com/sshstack/sshstack/wire/... ...).

GO        ?= go
PKGS      := $(shell $(GO) list -m -f '{{.Path}}/...')
FUZZTIME  ?= 10s
TESTFLAGS ?= -race -timeout 25m
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all test test-module lint vet staticcheck fuzz bench bench-compare demo build release rfc-matrix

all: lint test

build:
	$(GO) build $(PKGS)

# The race detector changes allocation counts, so the zero-allocation and
# bounded-memory tests skip under -race; the first run checks them without
# it, the second runs everything with it. The bench-compare smoke test
# skips under -race too (it would take minutes) and runs in the first.
test:
	$(GO) test -count=1 -run 'Alloc|Memory|BenchCompareSmoke' $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)

# One module's tests: make test-module M=wire [RUN=regexp]. The module is
# named by import path, which works from the workspace root.
test-module:
	@test -n "$(M)" || { echo "usage: make test-module M=<module dir> [RUN=<regexp>]"; exit 2; }
	@test -f "$(M)/go.mod" || { echo "$(M) is not a module of this workspace"; exit 2; }
	$(GO) test -count=1 $(TESTFLAGS) $(if $(RUN),-run '$(RUN)') github.com/sshstack/sshstack/$(M)/...

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

lint: vet staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Runs every Fuzz target of every package for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# ssh/sshd, gossh/gosshd and the libraries side by side, in one run
# (docs/performance.md); 5-10 minutes with the defaults on 2 cores. Bigger runs:
# make bench-compare BENCHCOMPAREFLAGS='-size 1024 -n 5 -idle 10000'
BENCHCOMPAREFLAGS ?=
bench-compare:
	$(GO) run github.com/sshstack/sshstack/conformance/cmd/benchcompare $(BENCHCOMPAREFLAGS)

# The main job: gosshd and gossh talking over loopback (demo/demo.sh).
# Built without cgo, so it needs no C compiler and no libpam headers
# (docs/decisions/0015-pam-behind-a-build-tag.md).
demo:
	@GO="$(GO)" CGO_ENABLED=0 bash demo/demo.sh

# Checks a release before any tag exists (docs/releasing.md): every
# released module, alone with GOWORK=off, built, vetted and tested against
# its siblings served at VERSION from a file-system module proxy made from
# the working tree; then prints the tags to push in dependency order.
# RELEASE_TESTFLAGS go to go test (-short, or -run=^$ to compile only);
# RELEASE_WRITE=1 also rewrites go.mod and go.sum for the release commit.
RELEASE_TESTFLAGS ?=
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=vX.Y.Z [RELEASE_TESTFLAGS=-short] [RELEASE_WRITE=1]"; exit 2; }
	cd release && $(GO) run ./cmd/release -root .. -version "$(VERSION)" -test "$(RELEASE_TESTFLAGS)" $(if $(RELEASE_WRITE),-write)

# docs/rfc-matrix.md from conformance/testdata/requirements.tsv and the
# tests that name requirement ids ("// Requirement: id" in their doc
# comment); runs only those tests (go test -json). RFCMATRIXFLAGS, e.g.
# -save saved.json to keep the results, -results saved.json to draw from
# saved results instead of running the tests.
RFCMATRIXFLAGS ?=
rfc-matrix:
	$(GO) run github.com/sshstack/sshstack/conformance/cmd/rfcmatrix -root . $(RFCMATRIXFLAGS)

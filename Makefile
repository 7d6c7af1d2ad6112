# xlatd: build, test, demo. Run as root on Debian for the targets that touch
# network namespaces or install packages (demo, test, testbed-*).

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOFMT ?= $(dir $(GO))gofmt
BIN := bin
XLATD := $(BIN)/xlatd
TOPOLOGY ?= two-armed
FUZZTIME ?= 10s
TEST_TIMEOUT ?= 15m
TESTLOG := $(BIN)/test.log

# CI runs with CI=true: the Jool graybox corpus is then mandatory.
ifeq ($(CI),true)
export XLATD_REQUIRE_GRAYBOX ?= 1
endif

.PHONY: all build test vet fmt-check unit deps demo testbed-up testbed-down generate bench instructions fuzz clean help

all: build

help:
	@echo "make build        build $(XLATD)"
	@echo "make test         install test deps (root), vet, gofmt check, every test incl. root-only e2e"
	@echo "make demo         install, build, bring up the testbed, run xlatd, show traffic both ways"
	@echo "                  (DEMO_DOWN=1 tears everything down at the end; TOPOLOGY=one-armed)"
	@echo "make testbed-up   scripts/netns/setup.sh \$$TOPOLOGY (two-armed|one-armed)"
	@echo "make testbed-down scripts/netns/teardown.sh"
	@echo "make generate     regenerate the XDP program objects (bpf2go, needs clang)"
	@echo "make bench        bench/run.sh"
	@echo "make instructions instructions per packet of batch.Translate, UDP and TCP both ways (valgrind)"
	@echo "make fuzz         each fuzz target for FUZZTIME ($(FUZZTIME))"

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(XLATD) ./cmd/xlatd

# deps installs what the tests and the demo use, only what is missing, and
# only as root (otherwise it says what is missing and carries on).
deps:
	@need=""; \
	command -v ip >/dev/null || need="$$need iproute2"; \
	command -v ping >/dev/null || need="$$need iputils-ping"; \
	command -v ethtool >/dev/null || need="$$need ethtool"; \
	command -v tcpdump >/dev/null || need="$$need tcpdump"; \
	command -v tayga >/dev/null || need="$$need tayga"; \
	command -v trafgen >/dev/null || need="$$need netsniff-ng"; \
	/usr/bin/python3 -c 'import scapy' >/dev/null 2>&1 || need="$$need python3 python3-scapy"; \
	if [ -n "$$need" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$need"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$need >/dev/null; \
		else \
			echo "missing (install as root):$$need"; \
		fi; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$($(GOFMT) -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: clean"

# test: every test, root-only packages (e2e) included; a summary at the end.
test: deps
	@mkdir -p $(BIN)
	@start=$$(date +%s); vrc=0; frc=0; \
	echo "== go vet ./..."; $(GO) vet ./... || vrc=1; \
	echo "== gofmt"; $(MAKE) --no-print-directory fmt-check || frc=1; \
	echo "== go test ./... (as $$(id -un); XLATD_REQUIRE_GRAYBOX=$${XLATD_REQUIRE_GRAYBOX:-0}; log $(TESTLOG))"; \
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./... >$(TESTLOG) 2>&1; trc=$$?; \
	grep -E '^(ok|FAIL|panic:)' $(TESTLOG); \
	if [ $$trc != 0 ]; then echo; echo "== failures (details in $(TESTLOG))"; \
		awk -f .ci/testsummary.awk $(TESTLOG) | head -n 400; fi; \
	pass=$$(grep -cE '^\s*--- PASS' $(TESTLOG)); fail=$$(grep -cE '^\s*--- FAIL' $(TESTLOG)); \
	skip=$$(grep -cE '^\s*--- SKIP' $(TESTLOG)); \
	if [ $$skip != 0 ]; then echo; echo "== skipped"; \
		awk -v mode=skip -f .ci/testsummary.awk $(TESTLOG) | head -n 40; fi; \
	if [ $$trc != 0 ] && [ $$fail = 0 ]; then fail=1; fi; \
	echo; echo "== summary after $$(( $$(date +%s) - start ))s: go vet $$([ $$vrc = 0 ] && echo ok || echo FAILED), gofmt $$([ $$frc = 0 ] && echo ok || echo FAILED), go test $$([ $$trc = 0 ] && echo ok || echo FAILED)"; \
	echo "$$pass passed, $$fail failed, $$skip skipped"; \
	[ $$vrc = 0 ] && [ $$frc = 0 ] && [ $$trc = 0 ]

demo: deps build
	@TOPOLOGY=$(TOPOLOGY) scripts/netns/demo.sh

testbed-up:
	scripts/netns/setup.sh $(TOPOLOGY)

testbed-down:
	scripts/netns/teardown.sh

generate:
	@command -v clang >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq clang llvm libbpf-dev >/dev/null; }
	$(GO) generate ./...

bench: build
	bench/run.sh

# instructions: instructions per packet executed by batch.Translate in the
# UDP and TCP benchmark scenarios (pool6 only), counted with callgrind.
instructions:
	@command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
	GO=$(GO) scripts/instructions.sh

fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		dir=$$(dirname $$f); \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$dir $$fn ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN)

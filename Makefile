# xlatd: build, test, demo. Run as root on Debian for the targets that touch
# network namespaces or install packages (demo, test, testbed-*).

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOFMT ?= $(dir $(GO))gofmt
BIN := bin
XLATD := $(BIN)/xlatd
TOPOLOGY ?= two-armed
MODE ?= siit
FUZZTIME ?= 10s
TEST_TIMEOUT ?= 15m
TESTLOG := $(BIN)/test.log

# The release and the commit go into the binary (xlatd -version) and the
# Debian package. A tag vX.Y.Z on HEAD is the release; otherwise it is the
# next release's number plus the commit date and hash, which sorts right
# for dpkg (0.1.0~git20261127.eb22308 < 0.1.0).
BASE_VERSION := 0.1.0
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION ?= $(shell v=$$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); \
	if [ -n "$$v" ]; then echo "$${v\#v}"; \
	elif [ -n "$(REVISION)" ]; then echo "$(BASE_VERSION)~git$$(git log -1 --format=%cd --date=format:%Y%m%d).$$(git rev-parse --short=7 HEAD)"; \
	else echo "$(BASE_VERSION)~dev"; fi)
LDFLAGS := -X main.version=$(VERSION) -X main.revision=$(REVISION)

# GOAMD64: the x86-64 level of everything built here (empty: Go's default,
# v1, which runs on any x86-64). `make GOAMD64=v3 build` needs AVX2/BMI2
# (Haswell and later) and saves the fast path 7-9 instructions a packet
# (shifts by a register count without CX; docs/PERFORMANCE.md); `make
# instructions` prints the level it measured.
ifneq ($(GOAMD64),)
export GOAMD64
endif

# CI runs with CI=true: the Jool graybox corpus is then mandatory.
ifeq ($(CI),true)
export XLATD_REQUIRE_GRAYBOX ?= 1
endif

.PHONY: all build version deb test vet fmt-check unit deps demo testbed-up testbed-down generate bench bench-nat64 instructions fuzz clean help

all: build

help:
	@echo "make build        build $(XLATD)"
	@echo "make test         install test deps (root), vet, gofmt check, every test incl. root-only e2e"
	@echo "make demo         install, build, bring up the testbed, run xlatd, show traffic both ways"
	@echo "                  (DEMO_DOWN=1 tears everything down at the end; TOPOLOGY=one-armed;"
	@echo "                  MODE=nat64: DNS64 + stateful NAT64, curl by name from the IPv6-only host)"
	@echo "make testbed-up   scripts/netns/setup.sh \$$TOPOLOGY (two-armed|one-armed)"
	@echo "make testbed-down scripts/netns/teardown.sh"
	@echo "make generate     regenerate the XDP program objects (bpf2go, needs clang)"
	@echo "make deb          bin/xlatd_VERSION_ARCH.deb (dpkg-deb); DEB_OUT=DIR to put it elsewhere"
	@echo "make bench        bench/run.sh (RFC 8219, SIIT)"
	@echo "make bench-nat64  bench/run.sh -suite nat64 (RFC 9693: xlatd NAT64, kernel NAT44, TAYGA + NAT44)"
	@echo "make instructions instructions per packet of batch.Translate, UDP and TCP both ways (valgrind; GOAMD64=v3 for a v3 build)"
	@echo "make fuzz         each fuzz target for FUZZTIME ($(FUZZTIME))"

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(XLATD) ./cmd/xlatd

version:
	@echo $(VERSION)

# deb: bin/xlatd_VERSION_ARCH.deb (packaging/deb.sh, dpkg-deb only). The
# binary is static so that the package depends on nothing.
deb:
	@mkdir -p $(BIN)/deb
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/deb/xlatd ./cmd/xlatd
	@packaging/deb.sh $(BIN)/deb/xlatd $(VERSION) $(or $(DEB_OUT),$(BIN))

# deps installs what the tests and the demo use, only what is missing, and
# only as root (otherwise it says what is missing and carries on).
# unbound (DNS64 in the testbed) runs only inside the testbed's namespaces;
# note that Debian's package also enables a system-wide unbound service
# where systemd runs.
deps:
	@need=""; \
	command -v ip >/dev/null || need="$$need iproute2"; \
	command -v ping >/dev/null || need="$$need iputils-ping"; \
	command -v ethtool >/dev/null || need="$$need ethtool"; \
	command -v tcpdump >/dev/null || need="$$need tcpdump"; \
	command -v tayga >/dev/null || need="$$need tayga"; \
	command -v trafgen >/dev/null || need="$$need netsniff-ng"; \
	command -v curl >/dev/null || need="$$need curl"; \
	command -v iperf3 >/dev/null || need="$$need iperf3"; \
	command -v unbound >/dev/null || need="$$need unbound"; \
	command -v dig >/dev/null || need="$$need dnsutils"; \
	command -v nft >/dev/null || need="$$need nftables"; \
	command -v conntrack >/dev/null || need="$$need conntrack"; \
	command -v systemd-analyze >/dev/null || need="$$need systemd"; \
	command -v setpriv >/dev/null || need="$$need util-linux"; \
	command -v dpkg-deb >/dev/null || need="$$need dpkg"; \
	command -v tshark >/dev/null || need="$$need tshark"; \
	/usr/bin/python3 -c 'import scapy' >/dev/null 2>&1 || need="$$need python3 python3-scapy"; \
	if [ -n "$$need" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$need"; \
			export DEBIAN_FRONTEND=noninteractive; \
			echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null; \
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
	@TOPOLOGY=$(TOPOLOGY) MODE=$(MODE) scripts/netns/demo.sh

testbed-up:
	scripts/netns/setup.sh $(TOPOLOGY)

testbed-down:
	scripts/netns/teardown.sh

generate:
	@command -v clang >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq clang llvm libbpf-dev >/dev/null; }
	$(GO) generate ./...

bench: build
	bench/run.sh

# RFC 9693 stateful NAT: xlatd NAT64 (n/a until the daemon accepts
# translate.mode = "nat64"), kernel NAT44 and TAYGA + NAT44; not part of
# `make bench`. NAT64_FLAGS passes xlatd-bench flags (e.g. -nat-flows 10000).
bench-nat64: deps build
	bench/run.sh -suite nat64 $(NAT64_FLAGS)

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

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/dataplane"
)

func writeConfig(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "xlatd.toml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLI(t *testing.T) {
	good := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"lo\"\n")
	bad := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"xlatd-nope0\"\n[translate]\npool6 = \"64:ff9b::/33\"\nfoo = 1\n")
	bad2 := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"xlatd-nope0\"\n[translate]\npool6 = \"64:ff9b::/33\"\n")
	missing := filepath.Join(t.TempDir(), "nope.toml")
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string // substrings
	}{
		{[]string{"-config", good, "-check"}, 0, "config OK", ""},
		{[]string{"-config", bad, "-check"}, 1, "", "translate.foo: unknown key"},
		{[]string{"-config", bad2, "-check"}, 1, "", "translate.pool6: prefix length 33 is not one of 32,40,48,56,64,96"},
		{[]string{"-config", missing, "-check"}, 1, "", "no such file"},
		{[]string{"-version"}, 0, "xlatd ", ""},
		{[]string{}, 2, "", "-config FILE is required"},
		{[]string{"-bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"-config", good, "extra"}, 2, "", "unexpected argument"},
		{[]string{"stats", "-socket", filepath.Join(t.TempDir(), "none.sock")}, 1, "", "cannot reach the daemon"},
		{[]string{"stats", "-config", good}, 1, "", "cannot reach the daemon at /run/xlatd/xlatd.sock"},
		{[]string{"stats", "-config", bad2}, 1, "", "translate.pool6: prefix length 33"},
		// A bad config stops the daemon before it touches anything.
		{[]string{"-config", bad2}, 1, "", "translate.pool6: prefix length 33"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("xlatd %q: exit %d (want %d)\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
	}
	// Interfaces are checked (here: in this network namespace) once the
	// file itself is valid: -check warns (the file is valid), the daemon
	// refuses to start.
	var stdout, stderr bytes.Buffer
	good2 := writeConfig(t, "[interfaces]\nipv6 = \"lo\"\nipv4 = \"xlatd-nope0\"\n")
	if run([]string{"-config", good2, "-check"}, &stdout, &stderr) != 0 ||
		!strings.Contains(stderr.String(), `warning`) ||
		!strings.Contains(stderr.String(), `interfaces.ipv4: interface "xlatd-nope0" does not exist`) {
		t.Errorf("missing interface not warned about: %s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if run([]string{"-config", good2}, &stdout, &stderr) != 1 ||
		!strings.Contains(stderr.String(), `interfaces.ipv4: interface "xlatd-nope0" does not exist`) {
		t.Errorf("daemon started without its interface: %s", stderr.String())
	}
}

func TestMetricNames(t *testing.T) {
	for name, want := range map[string]string{
		"verdict.to_ipv4":   "xlatd_verdicts_total",
		"drop.ttl_expired":  "xlatd_drops_total",
		"datapath.rx_ipv6":  "xlatd_datapath_total",
		"xdp.redirected4":   "xlatd_xdp_program_total",
		"socket.rx_dropped": "xlatd_xdp_socket_total",
	} {
		if f, _, _ := metricOf(name); f != want {
			t.Errorf("%s -> %s, want %s", name, f, want)
		}
	}
}

// TestEveryCounterExplained: `xlatd stats -explain` has a line for every
// translator reason and event and every XDP program counter.
func TestEveryCounterExplained(t *testing.T) {
	for r := batch.Reason(1); r < batch.NumReasons; r++ {
		if r.Help() == "" {
			t.Errorf("drop reason %s has no description in batch", r)
		}
	}
	for e := batch.Event(0); e < batch.NumEvents; e++ {
		if e.Help() == "" {
			t.Errorf("event %s has no description in batch", e)
		}
	}
	for v := batch.Verdict(0); v < batch.NumVerdicts; v++ {
		if v.Help() == "" {
			t.Errorf("verdict %s has no description in batch", v)
		}
	}
	for _, n := range afxdp.CounterNames() {
		if xdpHelp[n] == "" {
			t.Errorf("XDP counter %s has no description in counters.go", n)
		}
	}
	for c := dataplane.Counter(0); c < dataplane.NumCounters; c++ {
		if c.Help() == "" || c.String() == "unknown" {
			t.Errorf("datapath counter %d has no name or description", c)
		}
	}
}

// TestDocsListDatapathCounters: docs/CONFIG.md names every datapath counter.
func TestDocsListDatapathCounters(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "CONFIG.md"))
	if err != nil {
		t.Fatal(err)
	}
	for c := dataplane.Counter(0); c < dataplane.NumCounters; c++ {
		if !strings.Contains(string(b), "`"+c.String()+"`") {
			t.Errorf("docs/CONFIG.md does not name datapath counter `%s`", c)
		}
	}
}

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDNS64 starts scripts/netns/dns64.sh (unbound with its dns64 module in
// the box namespace) on a private testbed and resolves www.example, which
// has only an A record (the IPv4 host), from the IPv6-only host: with dig
// against the server and with getent through the namespace's resolv.conf
// (as curl resolves). The AAAA is the IPv4 host's address embedded in the
// DNS64 prefix: the testbed's pool6 by default, the Well-Known Prefix when
// asked for. No traffic crosses the translator; xlatd is not started.
func TestDNS64(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"unbound", "dig", "getent"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps installs unbound and dnsutils)", tool)
		}
	}
	tb := newTestbed(t, "two-armed", true)
	script := filepath.Join(repoRoot, "scripts", "netns", "dns64.sh")
	dns64 := func(verb string, extra ...string) (string, error) {
		cmd := exec.Command(script, verb)
		cmd.Env = append(os.Environ(), "XLATD_NS_PREFIX="+tb.prefix, "XLATD_RUN_DIR="+tb.run)
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() {
		if out, err := dns64("stop"); err != nil {
			t.Errorf("dns64.sh stop: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join("/etc/netns", tb.e("NS6"), "resolv.conf")); err == nil {
			t.Errorf("dns64.sh stop left /etc/netns/%s/resolv.conf", tb.e("NS6"))
		}
	})
	ns6, server := tb.e("NS6"), "@"+tb.e("BOX6")
	dig := func(qtype, name string) string {
		t.Helper()
		out, err := tb.exec(ns6, 10*time.Second, "dig", "+time=2", "+tries=2", "+short", qtype, name, server)
		if err != nil {
			t.Fatalf("dig %s %s: %v\n%s", qtype, name, err, out)
		}
		return strings.TrimSpace(out)
	}

	for _, c := range []struct {
		prefix, want string
	}{
		{"", tb.e("H4_AS6")},                   // pool6 2001:db8:100::/40: 2001:db8:1c6:3364:2::
		{"64:ff9b::/96", "64:ff9b::c633:6402"}, // the Well-Known Prefix (RFC 6052 section 2.1)
	} {
		var extra []string
		if c.prefix != "" {
			extra = append(extra, "DNS64_PREFIX="+c.prefix)
		}
		if out, err := dns64("start", extra...); err != nil {
			t.Fatalf("dns64.sh start %v: %v\n%s", extra, err, out)
		} else {
			t.Log(strings.TrimSpace(out))
		}
		if got := dig("AAAA", "www.example"); got != c.want {
			t.Fatalf("prefix %q: AAAA www.example = %q, want %q (synthesized from A %s)", c.prefix, got, c.want, tb.e("H4"))
		}
		// The system resolver of the IPv6-only host (what curl uses).
		out, err := tb.exec(ns6, 10*time.Second, "getent", "ahostsv6", "www.example")
		if err != nil || !strings.Contains(out, c.want) {
			t.Fatalf("getent ahostsv6 www.example in %s: %v\n%s", ns6, err, out)
		}
		// A records pass unchanged; a name with its own AAAA is not synthesized.
		if got := dig("A", "www.example"); got != tb.e("H4") {
			t.Fatalf("A www.example = %q", got)
		}
		if got := dig("AAAA", "v6only.example"); got != tb.e("H6") {
			t.Fatalf("AAAA v6only.example = %q, want %s", got, tb.e("H6"))
		}
	}
}

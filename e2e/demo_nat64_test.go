package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoNAT64 runs `scripts/netns/demo.sh` with MODE=nat64 and
// DEMO_DOWN=1 on a private prefix: DNS64 by unbound, xlatd in NAT64 mode,
// curl by name from the IPv6-only host, then `xlatd nat64 bib`, `xlatd
// nat64 sessions` and the mapping log. It must pass in full; a build whose
// daemon has no NAT64 (no `xlatd nat64` command) skips, saying so.
func TestDemoNAT64(t *testing.T) {
	needXlatd(t)
	for _, tool := range []string{"unbound", "dig", "getent", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	if why := nat64Missing(); why != "" {
		t.Skipf("NAT64 not in this build: %s", why)
	}
	prefix := fmt.Sprintf("d%d", os.Getpid()%100000)
	run := filepath.Join("/run/xlatd-netns", prefix)
	env := append(os.Environ(), "XLATD_NS_PREFIX="+prefix, "XLATD_RUN_DIR="+run, "XLATD="+xlatdBin, "MODE=nat64", "DEMO_DOWN=1")
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(repoRoot, "scripts", "netns", "teardown.sh"))
		cmd.Env = env
		_ = cmd.Run()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "netns", "demo.sh"))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("demo MODE=nat64 failed: %v\n%s", err, text)
	}
	for _, want := range []string{
		"2001:db8:1c6:3364:2::", // the synthesized AAAA of www.example (pool6 2001:db8:100::/40)
		"hello from the IPv4-only host",
		"xlatd nat64 bib",
		"xlatd nat64 sessions",
		"203.0.113.1", // pool4 203.0.113.128/28 in the BIB, sessions and log
		"Demo (NAT64) passed",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("demo passed without %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(filepath.Join("/etc/netns", prefix+"-h6", "resolv.conf")); err == nil {
		t.Errorf("the demo left /etc/netns/%s-h6/resolv.conf", prefix)
	}
}

// nat64Missing says why this xlatd build cannot run NAT64 ("" when it
// can): -check refuses the mode, or there is no `xlatd nat64` command.
func nat64Missing() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, xlatdBin, "nat64", "bib", "-json", "-config", "/nonexistent/xlatd.toml").CombinedOutput()
	if s := string(out); strings.Contains(s, "unexpected argument") || strings.Contains(s, "unknown command") {
		return "no `xlatd nat64` command: " + strings.TrimSpace(s)
	}
	return ""
}

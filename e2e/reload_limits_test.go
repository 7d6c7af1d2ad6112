package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// extraEAMT returns n [[eamt]] entries 2001:db8:7::/128s <-> 198.18.0.0/15
// (RFC 2544 benchmarking space: documentation space has too few IPv4
// addresses) that overlap nothing in the testbed config.
func extraEAMT(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\n[[eamt]]\nipv6 = \"2001:db8:7::%x:%x/128\"\nipv4 = \"198.%d.%d.%d/32\"\n",
			i>>16, i&0xffff, 18+i>>16, i>>8&0xff, i&0xff)
	}
	return b.String()
}

// TestReloadAllOrNothing (issue 7): a reload the datapath cannot take
// changes nothing, deny4 included; one that is larger than the old XDP
// maps (4096 entries) but within the documented limits (65536) is taken
// whole.
// Before the fix, a config -check called OK made SIGHUP log "reload
// failed" while the IPv4-side program had already taken the new deny4.
func TestReloadAllOrNothing(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	cfg := tb.config()
	d := tb.start(t, cfg)
	h4 := tb.e("NS4")
	tb.pingEventually(t, h4, tb.e("H6_AS4"), 10*time.Second)

	denied := strings.Replace(cfg, "xdp_mode = \"auto\"\n", "xdp_mode = \"auto\"\ndeny4 = [\"192.0.2.33/32\"]\n", 1)
	if denied == cfg {
		t.Fatal("no xdp_mode line to add deny4 after")
	}

	// Too many EAMT entries plus a new deny4: -check refuses the file in
	// the config's terms, SIGHUP keeps everything running as it was.
	tooMany := denied + extraEAMT(65536) // plus the testbed's own entry
	path := tb.run + "/too-many.toml"
	if err := os.WriteFile(path, []byte(tooMany), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xlatdBin, "-config", path, "-check").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "eamt: 65537 entries, at most 65536") {
		t.Errorf("-check on 65537 EAMT entries: %v\n%.500s", err, out)
	}
	if err := os.WriteFile(d.cfg, []byte(tooMany), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitCounter(t, "config.reload_errors", 1)
	if !d.running() {
		t.Fatalf("xlatd exited on a refused reload:\n%s", d.log.String())
	}
	if out, err := tb.ping(h4, tb.e("H6_AS4"), 2); err != nil {
		t.Errorf("the refused reload's deny4 took effect (IPv6 host's IPv4 name no longer translated): %v\n%s", err, out)
	}

	// 65536 entries in all (the limit; the old maps held 4096) and the
	// deny4: taken whole.
	many := denied + extraEAMT(65535)
	if err := os.WriteFile(d.cfg, []byte(many), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	start := time.Now()
	for d.counter("config.reloads") < 1 && d.counter("config.reload_errors") < 2 && time.Since(start) < 30*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("reload of 65536 EAMT entries: %v", time.Since(start).Round(time.Millisecond))
	if n := d.counter("config.reload_errors"); n != 1 {
		t.Fatalf("reload of 65536 EAMT entries refused (reload_errors %v):\n%s", n, d.log.String())
	}
	if out, err := tb.ping(h4, tb.e("H6_AS4"), 2); err == nil {
		t.Errorf("deny4 192.0.2.33/32 reloaded, but the ping was still translated:\n%s", out)
	}
}

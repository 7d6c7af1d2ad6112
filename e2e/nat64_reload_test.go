package e2e

import (
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNAT64Reload: SIGHUP in NAT64 mode. A shorter ICMP timeout applies to
// live sessions; switching to address-dependent filtering applies to
// existing mappings; a change of pool4 (a key that shapes the tables) is
// refused and explained while the state keeps translating.
func TestNAT64Reload(t *testing.T) {
	base := strings.Replace(nat64Base(), `icmp = "1s"`, `icmp = "60s"`, 1)
	n := newNAT64Bed(t, base)
	h6, h4 := n.e("NS6"), n.e("NS4")
	text, err := os.ReadFile(n.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(text)
	reload := func(newCfg string) {
		t.Helper()
		if newCfg == cfg {
			t.Fatal("the config edit changed nothing")
		}
		if err := os.WriteFile(n.cfgPath, []byte(newCfg), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg = newCfg
		_ = n.d.cmd.Process.Signal(syscall.SIGHUP)
	}
	dst := n.as6(n.e("H4")).String()
	n.pingEventually(t, h6, dst, 10*time.Second)
	icmp := func() []sessEntry {
		var r []sessEntry
		for _, s := range n.sessions(t) {
			if s.Protocol == "icmp" {
				r = append(r, s)
			}
		}
		return r
	}
	if ss := icmp(); len(ss) == 0 || ss[0].ExpiresInMs < 50_000 {
		t.Fatalf("ICMP sessions %+v: want one with about 60 s left", ss)
	}

	t.Run("icmp_timeout", func(t *testing.T) {
		reload(strings.Replace(cfg, `icmp = "60s"`, `icmp = "1s"`, 1))
		n.d.waitCounter(t, "config.reloads", 1)
		if !waitFor(8*time.Second, func() bool { return len(icmp()) == 0 }) {
			t.Fatalf("ICMP sessions still there 8 s after the reload to icmp = 1s: %+v", icmp())
		}
	})

	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	c := udpSock(t, h6, ap(sub2, 40000))
	m := udpAsk(t, c, netip.AddrPortFrom(n.as6(n.e("H4")), 7000), seen)
	// A third IPv4 host address, which never sends before the reload.
	const h4c = "198.51.100.4"
	n.ip("-n", h4, "addr", "add", h4c+"/24", "dev", "to-xl")
	n.ip("-n", n.e("NSX"), "neigh", "replace", h4c, "lladdr", n.e("MAC_H4"), "dev", n.e("IF4"), "nud", "permanent")
	from := func(a string) bool {
		s := udpSock(t, h4, ap(a, 7005))
		defer s.Close()
		for try := 0; try < 3; try++ {
			_, _ = s.WriteToUDPAddrPort([]byte("x"), m)
			if string(recvFrom(c, netip.AddrPortFrom(n.as6(a), 7005), 700*time.Millisecond)) == "x" {
				return true
			}
		}
		return false
	}
	t.Run("filtering", func(t *testing.T) {
		if !from(h4b) {
			t.Fatalf("endpoint-independent filtering: %s cannot reach %v", h4b, m)
		}
		reload(strings.Replace(cfg, "[nat64]\n", "[nat64]\nfiltering = \"address-dependent\"\n", 1))
		n.d.waitCounter(t, "config.reloads", 2)
		// h4b now has a session with the mapping (endpoint-independent
		// filtering let it in), so it passes; h4c has none.
		if from(h4c) {
			t.Errorf("after the reload to address-dependent filtering %s (never contacted) still reaches %v", h4c, m)
		}
		if !from(n.e("H4")) {
			t.Errorf("after the reload %s (contacted) cannot reach %v", n.e("H4"), m)
		}
	})

	t.Run("pool4_refused", func(t *testing.T) {
		reload(strings.Replace(cfg, nat64Pool4, "203.0.113.160/28", 1))
		n.d.waitCounter(t, "config.reload_errors", 1)
		if !n.d.running() {
			t.Fatalf("xlatd exited on a refused reload:\n%s", n.d.log.String())
		}
		if !strings.Contains(n.d.log.String(), "pool4") {
			t.Errorf("the refused reload does not name pool4:\n%s", n.d.log.String())
		}
		if got := udpAsk(t, c, netip.AddrPortFrom(n.as6(n.e("H4")), 7000), seen); got != m {
			t.Errorf("after the refused reload the flow appears as %v, before as %v", got, m)
		}
	})
}

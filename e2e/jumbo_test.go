package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestJumboLimits pins down what xlatd does on links with MTU 9000, which
// it does not support (docs/DESIGN.md, "Jumbo frames"): xdp_mode =
// "native" refuses to start with an error that names the MTU limit;
// "auto" falls back to generic XDP, warns at start, translates frames up
// to datapath.frame_size - 270 bytes of MTU and drops longer ones (the
// AF_XDP socket's rx_dropped).
func TestJumboLimits(t *testing.T) {
	tb := newTestbed(t, "two-armed", true, "XLATD_NETNS_MTU=9000")
	h6 := tb.e("NS6")

	cfg := strings.Replace(tb.config(), `xdp_mode = "auto"`, `xdp_mode = "native"`, 1)
	d, err := tb.tryStart(t, cfg)
	if err == nil {
		t.Fatal("xlatd started in native XDP mode on veths with MTU 9000")
	}
	d.quiet = true
	log := d.log.String()
	for _, want := range []string{`interfaces.xdp_mode = \"native\"`, "MTU is too large for native XDP", "3506"} {
		if !strings.Contains(log, want) {
			t.Errorf("start-up error does not say %q:\n%s", want, log)
		}
	}

	d = tb.start(t, tb.config())
	log = d.log.String()
	if !strings.Contains(log, "interface MTU is larger than a UMEM frame holds") || !strings.Contains(log, "max_mtu=3826") {
		t.Errorf("no start-up warning naming the largest MTU (3826):\n%s", log)
	}
	if !strings.Contains(log, "xdp_mode=generic") {
		t.Errorf("auto did not fall back to generic XDP:\n%s", log)
	}
	tb.pingEventually(t, h6, tb.e("H4_AS6"), 10*time.Second)
	// 3700 bytes of ICMP data: a 3762-byte IPv6 packet, 3776-byte frame.
	if out, err := tb.exec(h6, 10*time.Second, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-s", "3700", tb.e("H4_AS6")); err != nil {
		t.Errorf("3700-byte ping through xlatd: %v\n%s", err, out)
	}
	before := rxDropped(t, d)
	if out, err := tb.exec(h6, 10*time.Second, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-s", "8000", tb.e("H4_AS6")); err == nil {
		t.Errorf("8000-byte ping crossed xlatd, which does not support jumbo frames; update docs/DESIGN.md and this test:\n%s", out)
	}
	if after := rxDropped(t, d); after < before+2 {
		t.Errorf("socket.rx_dropped %d -> %d, want the two 8000-byte echo requests counted", before, after)
	}
}

// rxDropped is the kernel's AF_XDP rx_dropped summed over xlatd's sockets.
func rxDropped(t *testing.T, d *daemon) int {
	t.Helper()
	m, err := d.stats()
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := m["counters"].(map[string]any); ok {
		if n, ok := c["socket.rx_dropped"].(float64); ok {
			return int(n)
		}
	}
	t.Fatalf("no counters/socket.rx_dropped in stats: %v", m)
	return 0
}

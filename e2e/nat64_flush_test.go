package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestNAT64Flush: UDP flows of three subscribers and one to a static
// entry create sessions; `xlatd nat64 flush -json` reports them all and
// the dynamic BIB entries, `nat64 sessions -json` is empty afterwards and
// `nat64 bib -json` holds the static entries only, every subscriber's
// block is released in the mapping log, and new flows work again. Run it
// with -run 'TestNAT64Flush'. It runs with one queue and with two (two
// workers: each flushes its own table, the answer adds them up).
func TestNAT64Flush(t *testing.T) {
	t.Run("queues=1", func(t *testing.T) { testFlush(t, 1) })
	t.Run("queues=2", func(t *testing.T) { testFlush(t, 2) })
}

func testFlush(t *testing.T, queues int) {
	// static udp [H6]:5353 <-> 203.0.113.129#1000, tcp 8080 <-> #1001
	n := newNAT64BedWith(t, nat64Base(), nil, fmt.Sprintf("XLATD_NETNS_QUEUES=%d", queues))
	if q := n.d.info("queues"); q != float64(queues) {
		t.Skipf("the daemon serves %v queues, want %d", q, queues)
	}
	h6, h4 := n.e("NS6"), n.e("NS4")
	seen := udpServer(t, h4, ap(n.e("H4"), 7000))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	subs := []string{sub2, sub3, sub4}
	for i, s := range subs {
		c := udpSock(t, h6, ap(s, 41000+i))
		m, err := udpAskErr(c, dst, seen, 20)
		if err != nil {
			t.Fatalf("UDP exchange from [%s]:%d: %v", s, 41000+i, err)
		}
		inPool4(t, m, "UDP 6->4")
	}
	// The IPv4 host reaches the static entry: a session on it.
	c6 := udpSock(t, h6, ap(n.e("H6"), 5353))
	s4 := udpSock(t, h4, ap(n.e("H4"), 7200))
	static := ap("203.0.113.129", 1000)
	reached := false
	for try := 0; try < 5 && !reached; try++ {
		if _, err := s4.WriteToUDPAddrPort([]byte("to static"), static); err != nil {
			t.Fatal(err)
		}
		reached = string(recvFrom(c6, netip.AddrPortFrom(n.as6(n.e("H4")), 7200), time.Second)) == "to static"
	}
	if !reached {
		t.Fatalf("%s:7200 -> %v never reached [%s]:5353", n.e("H4"), static, n.e("H6"))
	}
	before := n.sessions(t)
	var dynamic int
	for _, e := range n.bib(t) {
		if !e.Static {
			dynamic++
		}
	}
	if len(before) < len(subs)+1 || dynamic < len(subs) {
		t.Fatalf("before the flush: %d sessions, %d dynamic BIB entries; want at least %d and %d: %+v", len(before), dynamic, len(subs)+1, len(subs), before)
	}

	out, errOut, code := n.xlatdCLI("nat64", "flush", "-json", "-config", n.cfgPath)
	if code != 0 {
		t.Fatalf("xlatd nat64 flush -json: exit %d\n%s%s", code, out, errOut)
	}
	var f struct {
		Sessions  *int     `json:"sessions"`
		BIB       *int     `json:"bib"`
		ElapsedMS *float64 `json:"elapsed_ms"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil || f.Sessions == nil || f.BIB == nil || f.ElapsedMS == nil {
		t.Fatalf("xlatd nat64 flush -json: %v: %q", err, out)
	}
	t.Logf("flush: %s", strings.TrimSpace(out))
	if *f.Sessions != len(before) || *f.BIB != dynamic || *f.ElapsedMS < 0 || *f.ElapsedMS > 10_000 {
		t.Errorf("flush reports %d sessions, %d BIB entries in %v ms; the daemon held %d sessions, %d dynamic BIB entries",
			*f.Sessions, *f.BIB, *f.ElapsedMS, len(before), dynamic)
	}
	if ss := n.sessions(t); len(ss) != 0 {
		t.Errorf("%d sessions after the flush: %+v", len(ss), ss)
	}
	bib := n.bib(t)
	if len(bib) != 2 {
		t.Errorf("BIB after the flush: %+v, want the two static entries", bib)
	}
	for _, e := range bib {
		if !e.Static {
			t.Errorf("dynamic BIB entry after the flush: %+v", e)
		}
	}
	for _, s := range subs {
		if !waitFor(5*time.Second, func() bool { return logHas(n.logPath, "block-release", s+"/128") }) {
			b, _ := readFile(n.logPath)
			t.Errorf("no block-release of %s in the mapping log after the flush:\n%s", s, b)
		}
	}
	// A second flush finds nothing; the text form.
	out, errOut, code = n.xlatdCLI("nat64", "flush", "-config", n.cfgPath)
	if code != 0 || !strings.HasPrefix(out, "flushed 0 sessions, 0 BIB entries in ") {
		t.Errorf("second xlatd nat64 flush: exit %d, %q%s", code, out, errOut)
	}

	// New traffic works again: a new mapping, a session.
	c := udpSock(t, h6, ap(sub2, 41100))
	m, err := udpAskErr(c, dst, seen, 5)
	if err != nil {
		t.Fatalf("UDP after the flush: %v", err)
	}
	inPool4(t, m, "UDP 6->4 after the flush")
	ss := n.sessions(t)
	if len(ss) != 1 || ss[0].IPv6 != sub2 || ss[0].Port6 != 41100 {
		t.Errorf("sessions after new traffic: %+v, want one of [%s]:41100", ss, sub2)
	}
}

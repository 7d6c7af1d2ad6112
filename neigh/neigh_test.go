package neigh

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

func TestLPM(t *testing.T) {
	s := newSnapshot()
	add := func(p string, oif int, gw string, metric int) {
		r := route{prefix: netip.MustParsePrefix(p), oif: oif, metric: metric}
		if gw != "" {
			r.gw = netip.MustParseAddr(gw)
		}
		if r.prefix.Addr().Is4() {
			s.routes4.add(r)
		} else {
			s.routes6.add(r)
		}
	}
	add("0.0.0.0/0", 2, "192.0.2.254", 100)
	add("192.0.2.0/24", 2, "", 0)
	add("198.51.100.0/24", 2, "192.0.2.1", 0)
	add("198.51.100.128/25", 2, "192.0.2.2", 0)
	add("198.51.100.0/24", 3, "192.0.2.3", 0)
	add("2001:db8::/64", 2, "", 0)
	add("::/0", 2, "fe80::1", 0)
	s.neigh[neighKey{addr: [16]byte{192, 0, 2, 1}, oif: 2, v4: true}] = [6]byte{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		oif  int
		dst  string
		nh   string
		res  Result
		mac6 byte
	}{
		{2, "198.51.100.7", "192.0.2.1", Found, 6},
		{2, "198.51.100.200", "192.0.2.2", Miss, 0},
		{3, "198.51.100.200", "192.0.2.3", Miss, 0},
		{3, "203.0.113.1", "", NoRoute, 0},
		{2, "192.0.2.77", "192.0.2.77", Miss, 0},
		{2, "203.0.113.1", "192.0.2.254", Miss, 0},
		{2, "2001:db8::5", "2001:db8::5", Miss, 0},
		{2, "2001:db8:1::5", "fe80::1", Miss, 0},
		{3, "2001:db8:1::5", "", NoRoute, 0},
	} {
		a := netip.MustParseAddr(tc.dst)
		var mac [6]byte
		var nh [16]byte
		var res Result
		if a.Is4() {
			mac, nh, res = s.Lookup4(tc.oif, a.As4())
		} else {
			mac, nh, res = s.Lookup6(tc.oif, a.As16())
		}
		if res != tc.res || mac[5] != tc.mac6 {
			t.Errorf("%d %s: res %d mac %x, want %d", tc.oif, tc.dst, res, mac, tc.res)
		}
		if tc.nh != "" && addrOf(nh, a.Is4()) != netip.MustParseAddr(tc.nh) {
			t.Errorf("%d %s: next hop %s, want %s", tc.oif, tc.dst, addrOf(nh, a.Is4()), tc.nh)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.Lookup4(2, [4]byte{198, 51, 100, 7})
		s.Lookup6(2, netip.MustParseAddr("2001:db8:1::5").As16())
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times", allocs)
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestMirrorNetns mirrors a throwaway namespace, resolves a next hop on a
// veth and follows route updates.
func TestMirrorNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	a := fmt.Sprintf("xlneighA%d", os.Getpid())
	b := fmt.Sprintf("xlneighB%d", os.Getpid())
	run(t, "ip", "netns", "add", a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	run(t, "ip", "netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	run(t, "ip", "-n", a, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", b)
	for _, c := range [][]string{
		{"ip", "-n", a, "addr", "add", "192.0.2.1/24", "dev", "v0"},
		{"ip", "-n", a, "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
		{"ip", "-n", b, "addr", "add", "192.0.2.2/24", "dev", "v1"},
		{"ip", "-n", b, "addr", "add", "2001:db8::2/64", "dev", "v1", "nodad"},
		{"ip", "-n", a, "link", "set", "v0", "up"},
		{"ip", "-n", b, "link", "set", "v1", "up"},
		{"ip", "-n", a, "route", "add", "198.51.100.0/24", "via", "192.0.2.2"},
		{"ip", "-n", a, "-6", "route", "add", "2001:db8:64::/48", "via", "2001:db8::2"},
	} {
		run(t, c...)
	}
	ns, err := netns.GetFromName(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	peerMAC := func() [6]byte {
		out, err := exec.Command("ip", "-n", b, "-br", "link", "show", "v1").Output()
		if err != nil {
			t.Fatal(err)
		}
		hw, err := net.ParseMAC(strings.Fields(string(out))[2])
		if err != nil {
			t.Fatal(err)
		}
		return [6]byte(hw)
	}()

	m0, err := New(Options{UseNamespace: true, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	v0 := m0.Snapshot().IfaceByName("v0")
	m0.Close()
	if v0 == nil || v0.MTU != 1500 || v0.Global4() != netip.MustParseAddr("192.0.2.1") || v0.Global6() != netip.MustParseAddr("2001:db8::1") {
		t.Fatalf("v0 = %+v", v0)
	}
	changes := make(chan *Snapshot, 100)
	m, err := New(Options{UseNamespace: true, Namespace: ns, Ifindexes: []int{v0.Index}, OnChange: func(s *Snapshot) {
		select {
		case changes <- s:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)

	dst4 := [4]byte{198, 51, 100, 7}
	dst6 := netip.MustParseAddr("2001:db8:64::7").As16()
	_, nh4, res := m.Snapshot().Lookup4(v0.Index, dst4)
	if res != Miss || addrOf(nh4, true) != netip.MustParseAddr("192.0.2.2") {
		t.Fatalf("before resolution: %d %v", res, addrOf(nh4, true))
	}
	_, nh6, res := m.Snapshot().Lookup6(v0.Index, dst6)
	if res != Miss || addrOf(nh6, false) != netip.MustParseAddr("2001:db8::2") {
		t.Fatalf("before resolution: %d %v", res, addrOf(nh6, false))
	}
	var rq Requests
	rq.Add(v0.Index, nh4, true)
	rq.Add(v0.Index, nh4, true)
	rq.Add(v0.Index, nh6, false)
	if rq.N != 2 {
		t.Fatalf("requests not deduplicated: %d", rq.N)
	}
	m.Resolve(rq)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mac4, _, r4 := m.Snapshot().Lookup4(v0.Index, dst4)
		mac6, _, r6 := m.Snapshot().Lookup6(v0.Index, dst6)
		if r4 == Found && r6 == Found {
			if mac4 != peerMAC || mac6 != peerMAC {
				t.Fatalf("resolved %x %x, want %x", mac4, mac6, peerMAC)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not resolved after 5s: %d %d (resolves %d, errors %d)", r4, r6, m.Resolves.Load(), m.ResolveErrs.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A route change shows up.
	run(t, "ip", "-n", a, "route", "del", "198.51.100.0/24")
	deadline = time.Now().Add(5 * time.Second)
	for {
		if _, _, r := m.Snapshot().Lookup4(v0.Index, dst4); r == NoRoute {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("route deletion not mirrored after 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v4, v6 := m.Snapshot().LocalPrefixes(v0.Index); len(v4) != 1 || len(v6) < 1 {
		t.Errorf("local prefixes %v %v", v4, v6)
	}
}

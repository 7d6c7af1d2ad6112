package batch_test

// TestGrayboxNAT64 replays the NAT64 exchanges of Jool's graybox suite
// (INDEX.md section 5, "NAT64 (42 send/expect exchanges)") in order through
// one Translator and one nat64.Table, configured as INDEX.md section 3's
// NAT64 paragraph (internal/graybox.NAT64Setup) with each row's mid-run
// changes, under the same equality rules as TestGraybox. The clock is fake:
// 100 ms between rows, and a row's Wait (8.1 s for the held-SYN rows) with
// an idle Translate that runs the housekeeping.

import (
	"net/netip"
	"testing"
	"time"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
)

// grayNAT64 builds the plan (maxSessions 0: sized from pool4), the mapping table (64:ff9b::/96 without the
// RFC 6052 3.1 rule: the corpus puts documentation addresses under it) and
// a function giving each row's batch.Config.
func grayNAT64(tb testing.TB, workers, maxSessions int) (*nat64.Plan, func(graybox.Env) *batch.Config) {
	tb.Helper()
	s := graybox.NAT64Setup
	c := nat64conf.Default()
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix(s.Pool4)}
	c.Ports = nat64conf.PortRange{Lo: s.Ports[0], Hi: s.Ports[1]}
	c.MaxSessions = maxSessions
	for _, st := range s.Static {
		c.Static = append(c.Static, nat64conf.Static{Protocol: st.Proto, IPv6: netip.MustParseAddr(st.IPv6), Port6: st.Port6,
			IPv4: netip.MustParseAddr(st.IPv4), Port4: st.Port4})
	}
	plan, err := nat64.NewPlan(&c, nat64.Options{Workers: workers})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := mapping.NewTable(netip.MustParsePrefix(s.Pool6), nil)
	if err != nil {
		tb.Fatal(err)
	}
	m = m.WithoutWKPRule()
	return plan, func(env graybox.Env) *batch.Config {
		cfg := batch.DefaultConfig()
		cfg.Map = m
		cfg.NAT64 = plan
		cfg.ICMPv4Source = netip.MustParseAddr(s.ICMPv4Source)
		cfg.ICMPv6Source = netip.MustParseAddr(s.ICMPv6Source)
		cfg.LowestIPv6MTU = 1280
		cfg.MTU4, cfg.MTU6 = 1500, 1500
		if env.MTU4 != 0 {
			cfg.MTU4 = env.MTU4
		}
		if env.MTU6 != 0 {
			cfg.MTU6 = env.MTU6
		}
		cfg.ResetTrafficClass = env.ZeroizeTC
		cfg.ICMPErrorsPerSecond = -1
		return &cfg
	}
}

// routerError4 is the ICMPv4 error (type 3 code 0) router sends about
// the IPv4 packet ip, quoting as much as Linux does (576 bytes in all).
func routerError4(router netip.Addr, ip []byte) []byte {
	q := ip[:min(len(ip), header.ICMPv4ErrorMax-header.IPv4MinLen-header.ICMPLen)]
	src, _ := netip.AddrFromSlice(ip[12:16])
	return pktbuild.IPv4{Src: router, Dst: src, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 0, 0, q))
}

func TestGrayboxNAT64(t *testing.T) {
	dir := grayboxDir(t)
	plan, config := grayNAT64(t, 1, 0)
	now := natT0
	tab := nat64.NewTable(plan, 0, now, nil)
	defer tab.Close()
	var src batch.ConfigSource
	tr := batch.New(&src)
	tr.SetNAT64(tab, 0)

	// translate sends one packet (nil: none, housekeeping only) and
	// returns the frames that leave (copies of their IP packets, with
	// their verdicts).
	type outFrame struct {
		f  *batch.Frame
		ip []byte
	}
	translate := func(ip []byte) []outFrame {
		var v batch.Vector
		if ip != nil {
			buf, n := newFrame(ip)
			v.Add(buf, batch.Headroom, n, sideOf(ip))
		}
		tr.Translate(&v, now, &heapAlloc{})
		var out []outFrame
		for _, f := range outputs(&v) {
			out = append(out, outFrame{f, append([]byte(nil), f.Bytes()[header.EthernetLen:]...)})
		}
		return out
	}

	matched := 0
	for i := range graybox.NAT64Rows {
		r := &graybox.NAT64Rows[i]
		in := readPkt(t, dir, r.In)
		var want [][]byte
		for _, w := range r.Want {
			want = append(want, readPkt(t, dir, w))
		}
		src.Store(config(r.Env))
		now += int64(100 * time.Millisecond)
		ok := t.Run(subtestName(r, in), func(t *testing.T) {
			out := translate(in)
			for _, a := range r.Also {
				out = append(out, translate(readPkt(t, dir, a))...)
			}
			if r.Router4 != "" && len(out) == 1 && out[0].f.Verdict == batch.To4 {
				out = translate(routerError4(netip.MustParseAddr(r.Router4), out[0].ip))
			}
			if r.Wait != 0 {
				now += int64(r.Wait) * int64(time.Millisecond)
				out = append(out, translate(nil)...)
			}
			if len(r.Also) != 0 {
				// Several inputs: only what reaches the expecting side.
				var keep []outFrame
				for _, o := range out {
					if o.f.Verdict == rowVerdict(r) {
						keep = append(keep, o)
					}
				}
				out = keep
			}
			dev, isDev := graybox.NAT64Deviations[r.Name]
			var problems []string
			if len(out) != len(want) {
				problems = append(problems, "want "+itoa(len(want))+" output frame(s), got "+itoa(len(out)))
			}
			for j := 0; j < len(out) && j < len(want); j++ {
				for _, p := range checkGrayOutput(r, out[j].f, want[j]) {
					problems = append(problems, "output "+itoa(j+1)+": "+p)
				}
				if len(problems) != 0 {
					t.Logf("want:\n%sgot:\n%s", indent(describe(want[j])), indent(describe(out[j].ip)))
				}
			}
			if isDev {
				if len(problems) == 0 {
					t.Logf("row is listed in NAT64Deviations but matches Jool")
				}
				t.Skipf("deviation (%s): %v", dev, problems)
			}
			for _, p := range problems {
				t.Error(p)
			}
			if len(problems) != 0 {
				t.Logf("input:\n%s", indent(describe(in)))
			}
		})
		if _, dev := graybox.NAT64Deviations[r.Name]; ok && !dev {
			matched++
		}
	}
	t.Logf("%d of %d NAT64 rows match Jool; %d listed deviations", matched, len(graybox.NAT64Rows), len(graybox.NAT64Deviations))
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

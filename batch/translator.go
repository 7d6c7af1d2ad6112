package batch

import (
	"github.com/xlatd/xlatd/header"
)

// Event counts things that happen to frames that were not dropped.
type Event uint8

const (
	EvTranslated4to6       Event = iota // IPv4 packets translated to IPv6
	EvTranslated6to4                    // IPv6 packets translated to IPv4
	EvICMPErrorSent                     // ICMP errors xlatd originated
	EvFragmentsCreated                  // extra fragments xlatd created
	EvHairpinned                        // packets translated twice (RFC 7757 hairpinning)
	EvUDPChecksumAmended                // IPv4 UDP zero checksums computed (RFC 7915 4.5)
	EvICMPTruncated                     // translated ICMP errors truncated to 576/1280 bytes
	EvRFC6791Source                     // ICMP errors whose source came from the RFC 6791 pool
	EvPartialChecksum                   // TCP/UDP checksums left for offload (CHECKSUM_PARTIAL) completed
	EvUDP6ChecksumComputed              // IPv6 UDP zero checksums computed (RFC 8200 8.1, RFC 6936)
	EvNAT64HeldReleased                 // held fragments translated once their first fragment came
	EvNAT64SYNUnreachable               // held IPv4 SYNs answered with port unreachable after tcp_incoming_syn
	EvNAT64SYNDiscarded                 // held IPv4 SYNs dropped silently: the IPv6 side opened the connection (simultaneous open)
	NumEvents
)

// events is the event counter family, declared once: counter name
// (event.<name>) and one-line help.
var events = [NumEvents]counterInfo{
	EvTranslated4to6:     {"translated_4to6", "IPv4 packets translated to IPv6"},
	EvTranslated6to4:     {"translated_6to4", "IPv6 packets translated to IPv4"},
	EvICMPErrorSent:      {"icmp_errors_sent", "ICMP errors xlatd originated"},
	EvFragmentsCreated:   {"fragments_created", "extra fragments xlatd created"},
	EvHairpinned:         {"hairpinned", "packets translated twice (RFC 7757 hairpinning)"},
	EvUDPChecksumAmended: {"udp_checksum_amended", "IPv4 UDP zero checksums computed (RFC 7915 4.5)"},
	EvICMPTruncated:      {"icmp_truncated", "translated ICMP errors truncated to 576/1280 bytes"},
	EvRFC6791Source:      {"rfc6791_source", "ICMP errors whose source came from the RFC 6791 pool"},
	EvPartialChecksum: {"partial_checksum_completed", "TCP/UDP checksums a sender left for offload " +
		"(only the pseudo-header sum, e.g. a veth peer with tx-checksumming on) that xlatd completed"},
	EvUDP6ChecksumComputed: {"udp6_checksum_computed", "IPv6 UDP datagrams without a checksum (0, RFC 6935 tunnels) " +
		"whose IPv4 checksum xlatd computed (RFC 8200 8.1, RFC 6936 5)"},
	EvNAT64HeldReleased:   {"nat64_held_released", "NAT64: held fragments translated once their first fragment came"},
	EvNAT64SYNUnreachable: {"nat64_syn_unreachable", "NAT64: held IPv4 SYNs answered with ICMP port unreachable after nat64.timeouts.tcp_incoming_syn (RFC 6146 3.5.2.2)"},
	EvNAT64SYNDiscarded:   {"nat64_syn_discarded", "NAT64: held IPv4 SYNs dropped silently because the IPv6 side opened the same connection (simultaneous open, RFC 5382 REQ-4), or by xlatd nat64 flush"},
}

// String returns the event's counter name.
func (e Event) String() string {
	if e < NumEvents {
		return events[e].name
	}
	return "unknown"
}

// Help returns the one-line description of the event's counter.
func (e Event) Help() string {
	if e < NumEvents {
		return events[e].help
	}
	return ""
}

// Counters are a Translator's counters. They are plain integers owned by the
// goroutine that runs the Translator; the datapath publishes them (adds them
// to shared atomic totals) once per vector, never per packet.
type Counters struct {
	Verdicts [NumVerdicts]uint64
	Drops    [NumReasons]uint64
	Events   [NumEvents]uint64
}

// Add adds c2 to c.
func (c *Counters) Add(c2 *Counters) {
	for i := range c.Verdicts {
		c.Verdicts[i] += c2.Verdicts[i]
	}
	for i := range c.Drops {
		c.Drops[i] += c2.Drops[i]
	}
	for i := range c.Events {
		c.Events[i] += c2.Events[i]
	}
}

// Translator translates vectors of frames. One Translator per queue; it is
// not safe for concurrent use. Its scratch state is reused from vector to
// vector so that translation allocates nothing.
type Translator struct {
	src *ConfigSource
	cfg *Config // loaded once per vector

	Counters Counters

	now   int64  // monotonic nanoseconds, set per vector
	rng   uint64 // xorshift state for IPv4 identification values
	alloc Allocator
	v     *Vector

	// hairpin is set by translate64 while it re-translates, with
	// translate46, an IPv4 packet whose destination is an EAMT IPv4 address
	// (RFC 7757 hairpinning, Jool's "intrinsic" mode). While set, the
	// addresses on the IPv4-source side (outer source, inner destination of
	// an ICMP error) are translated with pool6 only, and the verdict is To6.
	hairpin bool

	nat natState // stateful NAT64 (nat64.go)

	fc fastCfg // the fast path's view of cfg (fast.go)

	// ICMP error token bucket (per Translator).
	tokens     float64
	lastRefill int64
}

// New returns a Translator that reads its configuration from src.
func New(src *ConfigSource) *Translator {
	return &Translator{src: src, rng: 0x9E3779B97F4A7C15}
}

// Translate translates every frame of v in place and sets its verdict. now
// is a monotonic clock in nanoseconds (read once per vector by the caller);
// alloc supplies buffers for fragments (may be nil: fragmentation then drops).
func (t *Translator) Translate(v *Vector, now int64, alloc Allocator) {
	t.cfg = t.src.Load()
	if t.cfg != t.fc.cfg {
		t.fc.build(t.cfg)
	}
	t.now = now
	t.alloc = alloc
	t.v = v
	v.NExtra = 0
	if t.cfg == nil {
		for i := 0; i < v.N; i++ {
			t.drop(&v.Frames[i], ReasonNoMapping6)
		}
		return
	}
	if t.cfg.NAT64 != nil && t.nat.tab != nil && !t.nat.noPF && t.nat.tab.WorthPrefetch() {
		t.prefetch64(v)
	}
	if t.fc.on {
		// The fast path applies to this Config (so no NAT64: nothing
		// is held or released).
		t.fastVector(v.Frames[:v.N])
	} else {
		for i := 0; i < v.N; i++ {
			f := &v.Frames[i]
			t.translate(f)
			if t.nat.nrel != 0 {
				t.releaseHeld()
			}
		}
	}
	if t.cfg.NAT64 != nil && t.nat.tab != nil {
		t.housekeeping64()
	}
	for i := 0; i < v.NExtra; i++ {
		e := &v.Extra[i]
		if e.Verdict == Drop && e.Reason == ReasonNone {
			continue // a buffer handed back (fragmentation ran out), not a packet
		}
		t.Counters.Verdicts[e.Verdict]++
		if e.Verdict == Drop {
			t.Counters.Drops[e.Reason]++
		}
	}
}

func (t *Translator) translate(f *Frame) {
	f.Reason = ReasonNone
	if f.Len < header.EthernetLen || f.Off < 0 || f.Off+f.Len > len(f.Buf) {
		t.drop(f, ReasonTruncated)
		return
	}
	switch header.Ethernet(f.Buf[f.Off:]).Type() {
	case header.EtherTypeIPv4:
		t.translate46(f)
	case header.EtherTypeIPv6:
		t.translate64(f)
	default:
		f.Verdict = Pass
	}
	t.Counters.Verdicts[f.Verdict]++
	if f.Verdict == Drop {
		t.Counters.Drops[f.Reason]++
	}
}

// drop marks f dropped for r. Counting happens in translate.
func (t *Translator) drop(f *Frame, r Reason) {
	f.Verdict = Drop
	f.Reason = r
}

// nextID returns a pseudo-random IPv4 Identification (xorshift64*).
func (t *Translator) nextID() uint16 {
	x := t.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	t.rng = x
	return uint16((x * 0x2545F4914F6CDD1D) >> 48)
}

// allowICMPError reports whether the token bucket lets one more ICMP error
// be originated now, and takes the token. Every originated error (Time
// Exceeded, Packet Too Big, Fragmentation Needed, Parameter Problem, ...)
// must pass through it; when it says no, drop with ReasonICMPRateLimited.
func (t *Translator) allowICMPError() bool {
	rate, burst := t.cfg.ICMPErrorsPerSecond, t.cfg.ICMPErrorBurst
	if rate < 0 {
		return true
	}
	if rate == 0 {
		rate = 1000
	}
	if burst <= 0 {
		burst = 100
	}
	if t.lastRefill == 0 {
		t.tokens = float64(burst)
	} else if d := t.now - t.lastRefill; d > 0 {
		t.tokens += float64(d) * float64(rate) / 1e9
	}
	if t.tokens > float64(burst) {
		t.tokens = float64(burst)
	}
	t.lastRefill = t.now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}

// swapMACs exchanges the Ethernet source and destination of the frame that
// starts at b, for replies (verdict Back) to the frame's sender.
func swapMACs(b []byte) {
	var tmp [6]byte
	copy(tmp[:], b[0:6])
	copy(b[0:6], b[6:12])
	copy(b[6:12], tmp[:])
}

// rand64 returns a pseudo-random number (xorshift64*, sharing t.rng with
// nextID).
func (t *Translator) rand64() uint64 {
	x := t.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	t.rng = x
	return x * 0x2545F4914F6CDD1D
}

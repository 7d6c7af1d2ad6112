// Package batch translates vectors of Ethernet frames between IPv4 and IPv6
// in place, as RFC 7915 (SIIT) describes. Every frame leaves Translate with a
// Verdict and, when dropped, a Reason that names a counter.
//
// A frame lives in a buffer (a UMEM chunk in the datapath) with headroom in
// front of it: IPv4->IPv6 growth and ICMP errors xlatd originates are built
// by moving the frame's start backwards into that headroom, never by copying
// the payload out.
//
// Each direction is a pipeline of steps over one per-packet state struct:
// parse, addresses (the one address step, where stateful NAT64 will plug
// in), policy, write, L4 checksum (docs/DESIGN.md). Files follow RFC 7915:
// 4to6.go (section 4) and 6to4.go (section 5), icmp4to6.go / icmp6to4.go
// (sections 4.2-4.3 and 5.2-5.3), exthdr.go (IPv6 extension headers),
// errors4.go / errors6.go (ICMP errors xlatd originates), frag4to6.go /
// frag6to4.go (fragments and fragmentation) and hairpin.go (RFC 7757
// hairpinning); write.go holds writeIPv4 and writeIPv6, csum.go the
// checksum helpers, addr.go the address checks, rfc6791.go the RFC 6791
// sources, config.go derived configuration values and reasons.go /
// translator.go / batch.go the counter tables.
package batch

import (
	"net/netip"
	"sync/atomic"

	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
)

// Size is the number of frames in a Vector.
const Size = 64

// ExtraSize bounds the frames a Vector can gain (fragments xlatd creates).
const ExtraSize = 64

// Headroom is the offset at which frames in buffers from an Allocator start,
// and the headroom the datapath guarantees in front of received frames
// (XDP_PACKET_HEADROOM).
const Headroom = 256

// Side names an interface role.
type Side uint8

const (
	Side6 Side = iota // the interface facing the IPv6 network
	Side4             // the interface facing the IPv4 network
)

// Verdict says where a frame goes after Translate.
type Verdict uint8

const (
	Drop    Verdict = iota // dropped; Frame.Reason says why
	To4                    // translated, transmit on the IPv4 side
	To6                    // translated, transmit on the IPv6 side
	Back                   // an ICMP error xlatd originated: out the side the frame came in on (MACs already swapped)
	Pass                   // not for the translator: belongs to the kernel
	Handoff                // stateful NAT64: another worker's table owns it (Frame.Owner); the frame is untouched
	NumVerdicts
)

// verdicts is the verdict counter family (verdict.<name>), declared once.
var verdicts = [NumVerdicts]counterInfo{
	Drop:    {"drop", "frames dropped by the translator (see drop.*)"},
	To4:     {"to_ipv4", "frames translated and sent to the IPv4 side"},
	To6:     {"to_ipv6", "frames translated and sent to the IPv6 side"},
	Back:    {"back", "ICMP errors xlatd originated, sent back out the interface the offending frame came in on"},
	Pass:    {"pass", "frames the translator found not to be for it (left to the kernel; dropped by the datapath, see datapath.pass_dropped)"},
	Handoff: {"handoff", "NAT64 frames whose state another worker owns, handed to that worker untouched"},
}

// String returns the verdict's counter name.
func (v Verdict) String() string {
	if v < NumVerdicts {
		return verdicts[v].name
	}
	return "unknown"
}

// Help returns the one-line description of the verdict's counter.
func (v Verdict) Help() string {
	if v < NumVerdicts {
		return verdicts[v].help
	}
	return ""
}

// Frame is one Ethernet frame in a buffer.
type Frame struct {
	Buf     []byte  // the whole buffer; len(Buf) is its capacity, Buf[:Off] is headroom
	Off     int     // offset of the Ethernet header in Buf
	Len     int     // frame length from Off
	In      Side    // side the frame arrived on
	Verdict Verdict // set by Translate
	Reason  Reason  // set by Translate when Verdict == Drop
	Owner   uint16  // set by Translate when Verdict == Handoff: the worker whose NAT64 table owns the frame
}

// Bytes returns the frame's bytes.
func (f *Frame) Bytes() []byte { return f.Buf[f.Off : f.Off+f.Len] }

// Vector is a fixed-size batch of frames. Translate may add frames to Extra
// (the second and later fragments of a packet it fragments); they go out
// after Frames, in order, each with its own verdict.
type Vector struct {
	Frames [Size]Frame
	N      int
	Extra  [ExtraSize]Frame
	NExtra int
}

// Reset empties the vector.
func (v *Vector) Reset() { v.N, v.NExtra = 0, 0 }

// Add appends a frame that starts at buf[off:off+n]. It reports false when the
// vector is full.
func (v *Vector) Add(buf []byte, off, n int, in Side) bool {
	if v.N == Size {
		return false
	}
	v.Frames[v.N] = Frame{Buf: buf, Off: off, Len: n, In: in}
	v.N++
	return true
}

// Allocator hands out spare buffers for frames Translate creates. Get returns
// nil when none is left; the frame that needed it is then dropped with
// ReasonNoBuffer. Buffers that end up in Vector.Extra belong to the caller;
// one with verdict Drop and ReasonNone is a buffer handed back (the
// packet it was for was dropped and counted once), not a packet.
type Allocator interface {
	Get() []byte
}

// Config is the translator's immutable configuration. It is built once and
// replaced whole (see Translator.SetConfig); the hot path reads it through
// one atomic pointer load per vector.
type Config struct {
	Map *mapping.Table // pool6 and EAMT

	// NAT64 is the stateful NAT64 plan (RFC 6146; nil = SIIT only). IPv6
	// packets to pool6 from sources the EAMT does not cover, and IPv4
	// packets to a pool4 address, take their addresses and ports from the
	// worker's nat64.Table (Translator.SetNAT64) instead of from pool6.
	NAT64 *nat64.Plan

	// Sources of the ICMP errors xlatd originates (Packet Too Big, Time
	// Exceeded, Parameter Problem, Fragmentation Needed...).
	ICMPv4Source netip.Addr
	ICMPv6Source netip.Addr

	// RFC 6791: source used for translated ICMP errors whose source has no
	// mapping. Invalid = use ICMPv4Source / ICMPv6Source.
	RFC6791v4 netip.Prefix
	RFC6791v6 netip.Prefix

	LowestIPv6MTU int // RFC 7915 section 4 / 4.1 (default 1280)
	MTU4          int // MTU of the IPv4 egress link (default 1500)
	MTU6          int // MTU of the IPv6 egress link (default 1500)

	AmendUDPZeroChecksum bool  // RFC 7915 section 4.5
	ResetTrafficClass    bool  // RFC 7915 section 4.1: traffic class = 0 instead of TOS
	ResetTOS             bool  // RFC 7915 section 5.1: TOS = Config.TOS instead of traffic class
	TOS                  uint8 // used when ResetTOS

	// Rate limit for ICMP errors originated, per Translator (per queue).
	ICMPErrorsPerSecond int // default 1000; 0 = default, <0 = unlimited
	ICMPErrorBurst      int // default 100
}

// DefaultConfig returns the defaults of RFC 7915 and Jool where the RFC
// leaves a choice.
func DefaultConfig() Config {
	return Config{
		LowestIPv6MTU:       1280,
		MTU4:                1500,
		MTU6:                1500,
		ICMPErrorsPerSecond: 1000,
		ICMPErrorBurst:      100,
	}
}

// ConfigSource is where a Translator finds its current configuration; one
// ConfigSource is shared by every queue's Translator.
type ConfigSource = atomic.Pointer[Config]

package dataplane

import (
	"sync/atomic"

	"github.com/xlatd/xlatd/batch"
)

// The datapath counter family. `xlatd stats` shows each counter as
// Family + "." + its name, /metrics as xlatd_<Family>_total{counter=name};
// FamilyHelp is the family's one-line description.
const (
	Family     = "datapath"
	FamilyHelp = "AF_XDP worker counters."
)

// Counter is a datapath counter (besides the translator's batch.Counters).
// Each is described once, in counters below.
type Counter uint8

const (
	RX6 Counter = iota
	RX4
	TX6
	TX4
	TXRingFull
	KickErrors
	WakeupErrors
	PollErrors
	NeighMiss
	NeighHeld
	NeighHoldDropped
	NoRoute
	Copies
	NoFreeFrame
	PassDropped
	NoTXSocket
	BadOutput
	FillEmpty
	ResolveQueued
	BadRXDesc
	WorkerPanics
	Vectors
	Sleeps
	HandoffSent
	HandoffReceived
	HandoffDropped
	RXChains
	JumboSent
	TXChains
	JumboBadChain
	JumboTooLong
	JumboNeighMiss
	JumboHandoffDropped
	JumboTXFull
	BusyPolls
	BusyPollErrors
	NumCounters
)

// counters names and describes every Counter, indexed by it: the one
// table `xlatd stats`, `-explain`, /metrics and docs/CONFIG.md follow.
var counters = [NumCounters]struct{ name, help string }{
	RX6:              {"rx_ipv6", "frames received on the IPv6-side AF_XDP sockets"},
	RX4:              {"rx_ipv4", "frames received on the IPv4-side AF_XDP sockets"},
	TX6:              {"tx_ipv6", "frames queued for transmission on the IPv6-side sockets"},
	TX4:              {"tx_ipv4", "frames queued for transmission on the IPv4-side sockets"},
	TXRingFull:       {"tx_ring_full", "frames dropped because the TX ring was full"},
	KickErrors:       {"kick_errors", "TX wakeups (sendto) that failed; retried at the next vector"},
	WakeupErrors:     {"wakeup_errors", "fill-ring wakeups (recvfrom) that failed"},
	PollErrors:       {"poll_errors", "poll(2) calls of idle workers that failed"},
	NeighMiss:        {"neigh_miss", "frames whose next hop's MAC address was not known yet; the kernel was asked to resolve it (frames beyond neigh_held were dropped)"},
	NeighHeld:        {"neigh_held", "frames held (up to 16 per worker, at most 1 s) until their next hop's MAC address was known, then sent"},
	NeighHoldDropped: {"neigh_hold_dropped", "held frames dropped because the next hop did not resolve within 1 s or lost its route"},
	NoRoute:          {"no_route", "frames dropped because no route on the egress interface covers the destination"},
	Copies:           {"copies", "frames copied once between the two interfaces' UMEMs because the kernel refused a shared UMEM"},
	NoFreeFrame:      {"no_free_frame", "frames dropped because no free UMEM frame was left for the copy"},
	PassDropped:      {"pass_dropped", "frames the translator left to the kernel (verdict pass); an AF_XDP socket cannot hand them back, so they are dropped (the XDP program should not capture them)"},
	NoTXSocket:       {"no_tx_socket", "frames dropped because this queue has no socket on the egress interface"},
	BadOutput:        {"bad_output", "translated frames with impossible bounds, dropped (a bug: please report)"},
	FillEmpty:        {"fill_empty", "fill-ring refills that found no free frame"},
	ResolveQueued:    {"resolve_requests", "neighbour-resolution requests handed to the netlink mirror (at most one batch per vector)"},
	BadRXDesc:        {"bad_rx_desc", "RX descriptors pointing outside the UMEM, dropped (never expected from the kernel)"},
	WorkerPanics:     {"worker_panics", "worker loops restarted after a panic, logged with its stack (a bug: please report); that vector's frames are lost"},
	Vectors:          {"vectors", "vectors (batches of frames) processed"},
	Sleeps:           {"sleeps", "times an idle worker slept in poll(2)"},
	HandoffSent:      {"handoff_sent", "NAT64: frames handed to the worker owning their state (copied into its ring)"},
	HandoffReceived:  {"handoff_received", "NAT64: frames other workers handed to this one, translated here"},
	HandoffDropped:   {"handoff_dropped", "NAT64: frames dropped because the owner's ring was full (or no frame fit)"},

	RXChains:            {"rx_chains", "jumbo: frames longer than a UMEM chunk received as chains of descriptors (XDP_USE_SG), translated on the slow path"},
	JumboSent:           {"jumbo_sent", "jumbo: frames the slow path queued for transmission (whole packets or the IPv6 fragments of one)"},
	TXChains:            {"tx_chains", "jumbo: frames longer than a UMEM chunk transmitted as chains of descriptors"},
	JumboBadChain:       {"jumbo_bad_chain", "jumbo: malformed chains (a descriptor outside the UMEM, more than 18 descriptors) dropped whole"},
	JumboTooLong:        {"jumbo_too_long", "jumbo: chains longer than 16384 bytes dropped"},
	JumboNeighMiss:      {"jumbo_neigh_miss", "jumbo: translated frames dropped because their next hop's MAC address was not known yet (resolution requested; jumbo frames are not held)"},
	JumboHandoffDropped: {"jumbo_handoff_dropped", "jumbo: NAT64 frames owned by another worker's state, dropped (jumbo frames are not handed off)"},
	JumboTXFull:         {"jumbo_tx_full", "jumbo: output frames dropped because the TX ring had no room for all of them (a chain goes on the ring whole)"},

	BusyPolls:      {"busy_polls", "datapath.napi_busy_poll: NAPI polls the worker drove from its own thread (a non-blocking recvfrom per socket and loop iteration)"},
	BusyPollErrors: {"busy_poll_errors", "datapath.napi_busy_poll: those recvfrom calls that failed"},
}

// String returns the counter's name, without the family.
func (c Counter) String() string {
	if c < NumCounters {
		return counters[c].name
	}
	return "unknown"
}

// Help describes the counter in one line.
func (c Counter) Help() string {
	if c < NumCounters {
		return counters[c].help
	}
	return ""
}

// Stats are one worker's totals, published once per vector and read by
// anyone at any time.
type Stats struct {
	Verdicts [batch.NumVerdicts]atomic.Uint64
	Drops    [batch.NumReasons]atomic.Uint64
	Events   [batch.NumEvents]atomic.Uint64
	DP       [NumCounters]atomic.Uint64
}

// Snapshot is a plain copy of Stats.
type Snapshot struct {
	Verdicts [batch.NumVerdicts]uint64
	Drops    [batch.NumReasons]uint64
	Events   [batch.NumEvents]uint64
	DP       [NumCounters]uint64
}

// AddTo adds the current totals into s.
func (st *Stats) AddTo(s *Snapshot) {
	for i := range st.Verdicts {
		s.Verdicts[i] += st.Verdicts[i].Load()
	}
	for i := range st.Drops {
		s.Drops[i] += st.Drops[i].Load()
	}
	for i := range st.Events {
		s.Events[i] += st.Events[i].Load()
	}
	for i := range st.DP {
		s.DP[i] += st.DP[i].Load()
	}
}

// publish adds the translator's counters and the worker's local datapath
// counters to the shared totals and zeroes them.
func (st *Stats) publish(c *batch.Counters, dp *[NumCounters]uint64) {
	for i := range c.Verdicts {
		if c.Verdicts[i] != 0 {
			st.Verdicts[i].Add(c.Verdicts[i])
			c.Verdicts[i] = 0
		}
	}
	for i := range c.Drops {
		if c.Drops[i] != 0 {
			st.Drops[i].Add(c.Drops[i])
			c.Drops[i] = 0
		}
	}
	for i := range c.Events {
		if c.Events[i] != 0 {
			st.Events[i].Add(c.Events[i])
			c.Events[i] = 0
		}
	}
	for i := range dp {
		if dp[i] != 0 {
			st.DP[i].Add(dp[i])
			dp[i] = 0
		}
	}
}

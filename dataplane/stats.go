package dataplane

import (
	"sync/atomic"

	"github.com/xlatd/xlatd/batch"
)

// Counter is a datapath counter (besides the translator's batch.Counters).
type Counter uint8

const (
	RX6              Counter = iota // frames received on the IPv6-side socket
	RX4                             // frames received on the IPv4-side socket
	TX6                             // frames queued for transmission on the IPv6 side
	TX4                             // frames queued for transmission on the IPv4 side
	TXRingFull                      // frames dropped because a TX ring was full
	KickErrors                      // sendto() wakeups of a TX ring that failed
	WakeupErrors                    // recvfrom() wakeups of a fill ring that failed
	PollErrors                      // poll(2) calls that failed
	NeighMiss                       // frames whose next hop's MAC address was not known (resolution asked)
	NeighHeld                       // of those, frames held until the MAC address is known
	NeighHoldDropped                // held frames dropped: not resolved within a second, or no route any more
	NoRoute                         // frames dropped: no route on the egress interface for the destination
	Copies                          // frames copied between the two sides' UMEMs (not shared)
	NoFreeFrame                     // frames dropped: no free UMEM frame for a copy
	PassDropped                     // frames the translator gave back to the kernel (verdict pass): AF_XDP cannot, so dropped
	NoTXSocket                      // frames dropped: this queue has no socket on the egress side
	BadOutput                       // frames dropped: translated frame has impossible bounds (a bug)
	FillEmpty                       // refills that found no free frame to give the kernel
	ResolveQueued                   // neighbour-resolution requests handed to the neighbour mirror
	BadRXDesc                       // RX descriptors outside the UMEM (dropped; never expected)
	WorkerPanics                    // worker loops restarted after a panic (a bug)
	Vectors                         // vectors processed
	Sleeps                          // times the worker slept in poll(2)
	NumCounters
)

var counterNames = [NumCounters]string{
	"rx_ipv6", "rx_ipv4", "tx_ipv6", "tx_ipv4", "tx_ring_full", "kick_errors",
	"wakeup_errors", "poll_errors", "neigh_miss", "neigh_held", "neigh_hold_dropped", "no_route", "copies", "no_free_frame",
	"pass_dropped", "no_tx_socket", "bad_output", "fill_empty", "resolve_requests", "bad_rx_desc", "worker_panics",
	"vectors", "sleeps",
}

var counterHelp = [NumCounters]string{
	"frames received on the IPv6-side AF_XDP sockets",
	"frames received on the IPv4-side AF_XDP sockets",
	"frames queued for transmission on the IPv6-side sockets",
	"frames queued for transmission on the IPv4-side sockets",
	"frames dropped because the TX ring was full",
	"TX wakeups (sendto) that failed; retried at the next vector",
	"fill-ring wakeups (recvfrom) that failed",
	"poll(2) calls of idle workers that failed",
	"frames whose next hop's MAC address was not known yet; the kernel was asked to resolve it (frames beyond neigh_held were dropped)",
	"frames held (up to 16 per worker, at most 1 s) until their next hop's MAC address was known, then sent",
	"held frames dropped because the next hop did not resolve within 1 s or lost its route",
	"frames dropped because no route on the egress interface covers the destination",
	"frames copied once between the two interfaces' UMEMs because the kernel refused a shared UMEM",
	"frames dropped because no free UMEM frame was left for the copy",
	"frames the translator left to the kernel (verdict pass); an AF_XDP socket cannot hand them back, so they are dropped (the XDP program should not capture them)",
	"frames dropped because this queue has no socket on the egress interface",
	"translated frames with impossible bounds, dropped (a bug: please report)",
	"fill-ring refills that found no free frame",
	"neighbour-resolution requests handed to the netlink mirror (at most one batch per vector)",
	"RX descriptors pointing outside the UMEM, dropped (never expected from the kernel)",
	"worker loops restarted after a panic, logged with its stack (a bug: please report); that vector's frames are lost",
	"vectors (batches of frames) processed",
	"times an idle worker slept in poll(2)",
}

func (c Counter) String() string {
	if c < NumCounters {
		return counterNames[c]
	}
	return "unknown"
}

// Help describes the counter in one line.
func (c Counter) Help() string {
	if c < NumCounters {
		return counterHelp[c]
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

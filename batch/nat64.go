package batch

// Stateful NAT64 (RFC 6146) in the address step of each direction.
//
// NAT64 is RFC 7915 with the IPv4-side addresses and ports taken from the
// state (package nat64) instead of from pool6: an IPv6 packet to pool6 from
// a source the EAMT does not cover, and an IPv4 packet to a pool4 address,
// go through the worker's nat64.Table; every other packet is SIIT as
// before. See docs/DESIGN.md, "Stateful NAT64 in the pipeline".

import (
	"github.com/xlatd/xlatd/nat64"
)

// natState is a Translator's NAT64 part: the worker's own table and index,
// and the store of packets the table told it to hold.
type natState struct {
	tab    *nat64.Table
	worker int
}

// SetNAT64 gives the Translator its worker's NAT64 table and worker index
// (Plan.Owner6 / Owner4 name workers by it). nil = no NAT64: packets that
// would need the state are dropped with ReasonNoMapping6/4. Call it
// between vectors, from the goroutine that runs the Translator.
func (t *Translator) SetNAT64(tab *nat64.Table, worker int) {
	t.nat.tab = tab
	t.nat.worker = worker
}

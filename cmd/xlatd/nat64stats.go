package main

import (
	"strings"

	"github.com/xlatd/xlatd/nat64"
)

// NAT64 counters and gauges of `xlatd stats` and /metrics, gathered from
// the workers' tables at the moment of the request (each worker copies its
// numbers between two vectors).
//
//	nat64.*          gauges: sessions, bib_entries, subscribers, blocks_in_use, ...
//	nat64_sessions.* gauges: sessions by protocol and TCP state (tcp_established, udp, icmp, ...)
//	nat64_bib.*      gauges: BIB entries by protocol
//	nat64_pool4.*    gauges: port blocks in use per pool4 address (pools of up to maxPool4Series addresses)
//	nat64_events.*   counters: results of the state (quota and capacity refusals, ...), sessions and
//	                 blocks created and ended, mapping-log and IPFIX drops

// maxPool4Series bounds the per-address series: a larger pool4 exports
// only the totals.
const maxPool4Series = 256

// nat64Help describes every NAT64 counter and gauge; the one table of them.
var nat64Help = map[string]string{
	"nat64.sessions":           "NAT64 sessions now (all workers)",
	"nat64.bib_entries":        "NAT64 BIB entries (mappings) now, static ones included",
	"nat64.subscribers":        "NAT64 subscribers holding port blocks now",
	"nat64.blocks_in_use":      "pool4 port blocks held by subscribers now",
	"nat64.blocks":             "pool4 port blocks in all (addresses x blocks per address)",
	"nat64.held_syns":          "IPv4-initiated TCP SYNs held now, waiting for an IPv6 SYN (RFC 6146 3.5.2.2)",
	"nat64_sessions":           "NAT64 sessions now by protocol and TCP state",
	"nat64_bib":                "NAT64 BIB entries now by protocol",
	"nat64_pool4":              "pool4 port blocks in use per address (utilisation = value / nat64.blocks_per_address)",
	"nat64.blocks_per_address": "port blocks on one pool4 address",

	"nat64_events.sessions_created":    "NAT64 sessions created",
	"nat64_events.sessions_expired":    "NAT64 sessions ended by their timer",
	"nat64_events.bib_created":         "NAT64 BIB entries created",
	"nat64_events.bib_deleted":         "NAT64 BIB entries deleted",
	"nat64_events.blocks_allocated":    "port blocks handed to subscribers (one mapping-log event each)",
	"nat64_events.blocks_released":     "port blocks given back (one mapping-log event each)",
	"nat64_events.held_syn_expired":    "held IPv4 SYNs answered with ICMP port unreachable after tcp_incoming_syn",
	"nat64_events.held_syn_dropped":    "IPv4 SYNs dropped because the held-SYN table was full",
	"nat64_events.frags_held":          "fragments held until their first fragment arrived",
	"nat64_events.frags_expired":       "held fragments dropped after nat64.timeouts.fragment",
	"nat64_events.notices_dropped":     "ends of held packets lost because the notice queue was full",
	"nat64_events.mapping_log_dropped": "mapping events dropped because the log writer lagged (the queue holds 65536)",
	"nat64_events.ipfix_exported":      "IPFIX NAT event records sent",
	"nat64_events.ipfix_dropped":       "IPFIX NAT events dropped (exporter queue full)",
	"nat64_events.ipfix_send_errors":   "IPFIX datagrams the kernel refused (collector unreachable)",
}

func init() {
	for r := nat64.Result(0); r < nat64.NumResults; r++ {
		nat64Help["nat64_events.result_"+r.String()] = "packets the NAT64 state answered " + r.String() +
			" (quota_*, table_full, pool_exhausted, not_subscriber: refusals)"
	}
}

func nat64HelpOf(name string) string {
	if h := nat64Help[name]; h != "" {
		return h
	}
	g, _, _ := strings.Cut(name, ".")
	return nat64Help[g]
}

// nat64Stats returns the NAT64 counters and gauges (nil in SIIT mode).
func (d *daemon) nat64Stats() []Counter {
	if d.nat == nil || d.dp == nil || !d.dp.NAT64() {
		return nil
	}
	var sessions, bib, subs, blocks, held int
	var c nat64.Counters
	byState := map[string]int{}
	byProto := map[string]int{}
	var free [][]int
	err := d.dp.WithTables(func(_ int, t *nat64.Table, _ int64) {
		s, b, su, bl := t.Len()
		sessions, bib, subs, blocks = sessions+s, bib+b, subs+su, blocks+bl
		held += t.HeldSYNs()
		tc := t.C
		for i := range c.Results {
			c.Results[i] += tc.Results[i]
		}
		c.SessionsCreated += tc.SessionsCreated
		c.SessionsExpired += tc.SessionsExpired
		c.BIBCreated += tc.BIBCreated
		c.BIBDeleted += tc.BIBDeleted
		c.BlocksAllocated += tc.BlocksAllocated
		c.BlocksReleased += tc.BlocksReleased
		c.HeldSYNExpired += tc.HeldSYNExpired
		c.HeldSYNDropped += tc.HeldSYNDropped
		c.FragsHeld += tc.FragsHeld
		c.FragsExpired += tc.FragsExpired
		c.NoticesDropped += tc.NoticesDropped
		t.SessionCounts(func(p nat64.Proto, st string, n int) {
			k := protoName(p)
			if p == nat64.ProtoTCP {
				k += "_" + strings.ToLower(st)
			}
			byState[k] += n
		})
		t.BIBCounts(func(p nat64.Proto, n int) { byProto[protoName(p)] += n })
		free = append(free, t.FreeBlocks(nil))
	}, requestTimeout)
	if err != nil {
		d.log.Warn("nat64 counters incomplete", "err", err)
	}
	d.nat.mu.Lock()
	plan := d.nat.plan
	d.nat.mu.Unlock()
	g := func(name string, v int) Counter {
		return Counter{Name: name, Help: nat64HelpOf(name), Value: uint64(max(v, 0)), Gauge: true}
	}
	ev := func(name string, v uint64) Counter { return Counter{Name: name, Help: nat64HelpOf(name), Value: v} }
	bpa := plan.BlocksPerAddress()
	addrs := plan.Pool4Addrs()
	live := 0
	for _, a := range addrs {
		if !plan.Retired(a) {
			live++
		}
	}
	out := []Counter{
		g("nat64.sessions", sessions), g("nat64.bib_entries", bib), g("nat64.subscribers", subs),
		g("nat64.blocks_in_use", blocks), g("nat64.blocks", bpa*live), g("nat64.blocks_per_address", bpa),
		g("nat64.held_syns", held),
	}
	for _, k := range []string{"tcp_v6_init", "tcp_v4_init", "tcp_established", "tcp_v4_fin_rcv", "tcp_v6_fin_rcv", "tcp_v4_fin_v6_fin_rcv", "tcp_trans", "udp", "icmp"} {
		out = append(out, g("nat64_sessions."+k, byState[k]))
	}
	for _, k := range []string{"tcp", "udp", "icmp"} {
		out = append(out, g("nat64_bib."+k, byProto[k]))
	}
	if len(addrs) <= maxPool4Series && len(free) == len(d.nat.owned) {
		for a, addr := range addrs {
			if plan.Retired(addr) {
				continue // removed by a reload: no series
			}
			used := 0
			for w := range free {
				if a < len(free[w]) && a < len(d.nat.owned[w]) {
					used += d.nat.owned[w][a] - free[w][a]
				}
			}
			out = append(out, g("nat64_pool4."+addr.String(), used))
		}
	}
	for r := nat64.Result(0); r < nat64.NumResults; r++ {
		out = append(out, ev("nat64_events.result_"+r.String(), c.Results[r]))
	}
	out = append(out,
		ev("nat64_events.sessions_created", c.SessionsCreated), ev("nat64_events.sessions_expired", c.SessionsExpired),
		ev("nat64_events.bib_created", c.BIBCreated), ev("nat64_events.bib_deleted", c.BIBDeleted),
		ev("nat64_events.blocks_allocated", c.BlocksAllocated), ev("nat64_events.blocks_released", c.BlocksReleased),
		ev("nat64_events.held_syn_expired", c.HeldSYNExpired), ev("nat64_events.held_syn_dropped", c.HeldSYNDropped),
		ev("nat64_events.frags_held", c.FragsHeld), ev("nat64_events.frags_expired", c.FragsExpired),
		ev("nat64_events.notices_dropped", c.NoticesDropped),
	)
	var logDropped uint64
	if q := d.nat.queue; q != nil {
		logDropped = q.Dropped()
	}
	out = append(out, ev("nat64_events.mapping_log_dropped", logDropped))
	if e := d.nat.ipfix; e != nil {
		s := e.Stats()
		out = append(out, ev("nat64_events.ipfix_exported", s.Exported), ev("nat64_events.ipfix_dropped", s.Dropped),
			ev("nat64_events.ipfix_send_errors", s.SendErrors))
	}
	return out
}

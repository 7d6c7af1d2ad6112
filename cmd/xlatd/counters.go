package main

import (
	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/dataplane"
)

// Counter is one named counter as `xlatd stats` and /metrics show it.
type Counter struct {
	Name  string `json:"name"` // "group.name", e.g. "drop.ttl_expired"
	Help  string `json:"help"`
	Value uint64 `json:"value"`
	Gauge bool   `json:"gauge,omitempty"` // a value now, not a total since start
}

// help returns the description of a counter, or a pointer to where it is
// defined when this table lacks it.
func help(m map[string]string, name, where string) string {
	if h := m[name]; h != "" {
		return h
	}
	return "see " + where
}

var xdpHelp = map[string]string{
	"redirected4":          "IPv4 frames the XDP program steered to an AF_XDP socket",
	"redirected6":          "IPv6 frames the XDP program steered to an AF_XDP socket",
	"no_socket":            "frames that matched but whose queue had no socket (left to the kernel)",
	"pass_short":           "frames too short for their headers (left to the kernel)",
	"pass_bad_ip":          "frames with a bad IP version or header length (left to the kernel)",
	"pass_l2_multicast":    "Ethernet multicast/broadcast frames (left to the kernel)",
	"pass_arp":             "ARP frames (left to the kernel)",
	"pass_vlan":            "VLAN-tagged frames (left to the kernel)",
	"pass_other_ethertype": "other EtherTypes (left to the kernel)",
	"pass_multicast4":      "IPv4 multicast, broadcast, loopback, 0/8 or class E destinations (left to the kernel)",
	"pass_linklocal4":      "IPv4 link-local destinations (left to the kernel)",
	"pass_nomatch4":        "IPv4 destinations outside the capture list (left to the kernel)",
	"pass_deny4":           "IPv4 destinations in the deny list or the box's own (left to the kernel)",
	"pass_multicast6":      "IPv6 multicast destinations (left to the kernel)",
	"pass_linklocal6":      "IPv6 link-local destinations (left to the kernel)",
	"pass_nd":              "Neighbour Discovery (left to the kernel)",
	"pass_nomatch6":        "IPv6 destinations outside pool6 and the EAMT (left to the kernel)",
	"pass_deny6":           "the box's own IPv6 addresses (left to the kernel)",
	"redirected4_shared":   "IPv4 frames to a pool4 address that is also the box's own, steered to an AF_XDP socket because their port (or ICMP identifier) is in nat64.ports",
}

// collect gathers every counter, in a stable order.
func (d *daemon) collect() []Counter {
	var out []Counter
	s := d.dp.Snapshot()
	for v := batch.Verdict(0); v < batch.NumVerdicts; v++ {
		out = append(out, Counter{"verdict." + v.String(), v.Help(), s.Verdicts[v], false})
	}
	for r := batch.Reason(1); r < batch.NumReasons; r++ {
		out = append(out, Counter{"drop." + r.String(), r.Help(), s.Drops[r], false})
	}
	for e := batch.Event(0); e < batch.NumEvents; e++ {
		out = append(out, Counter{"event." + e.String(), e.Help(), s.Events[e], false})
	}
	for c := dataplane.Counter(0); c < dataplane.NumCounters; c++ {
		out = append(out, Counter{dataplane.Family + "." + c.String(), c.Help(), s.DP[c], false})
	}
	xc := d.dp.ProgramCounters()
	for _, name := range afxdp.CounterNames() {
		out = append(out, Counter{"xdp." + name, help(xdpHelp, name, "afxdp/bpf/xlatd.c"), xc[name], false})
	}
	ss := d.dp.SocketStats()
	out = append(out,
		Counter{"socket.rx_dropped", "frames the kernel dropped on the AF_XDP sockets for other reasons (XDP_STATISTICS)", ss.RxDropped, false},
		Counter{"socket.rx_invalid", "RX descriptors the kernel found invalid", ss.RxInvalid, false},
		Counter{"socket.tx_invalid", "TX descriptors the kernel refused", ss.TxInvalid, false},
		Counter{"socket.rx_ring_full", "frames dropped because an RX ring was full (the workers did not keep up)", ss.RxRingFull, false},
		Counter{"socket.fill_ring_empty", "times the kernel found a fill ring empty", ss.RxFillRingEmpty, false},
		Counter{"socket.tx_ring_empty", "times a TX wakeup found the TX ring empty", ss.TxRingEmpty, false},
	)
	m := d.mirror
	out = append(out,
		Counter{"neigh.refreshes", "snapshots of the kernel's routes and neighbours taken", m.Refreshes.Load(), false},
		Counter{"neigh.resolves", "neighbour resolutions asked of the kernel (RTM_NEWNEIGH with NTF_USE)", m.Resolves.Load(), false},
		Counter{"neigh.resolve_errors", "neighbour resolutions the kernel refused", m.ResolveErrs.Load(), false},
		Counter{"neigh.dropped_requests", "resolution requests dropped because the queue was full", m.DroppedReqs.Load(), false},
		Counter{"neigh.netlink_errors", "netlink errors (subscriptions or dumps)", m.NetlinkErrs.Load(), false},
		Counter{"config.reloads", "successful SIGHUP reloads", d.reloads.Load(), false},
		Counter{"config.reload_errors", "SIGHUP reloads refused (the old config kept running)", d.reloadErrs.Load(), false},
	)
	return append(out, d.nat64Stats()...) // nat64stats.go
}

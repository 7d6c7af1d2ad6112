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
}

var verdictHelp = [batch.NumVerdicts]string{
	batch.Drop: "frames dropped by the translator (see drop.*)",
	batch.To4:  "frames translated and sent to the IPv4 side",
	batch.To6:  "frames translated and sent to the IPv6 side",
	batch.Back: "ICMP errors xlatd originated, sent back out the interface the offending frame came in on",
	batch.Pass: "frames the translator found not to be for it (left to the kernel; dropped by the datapath, see datapath.pass_dropped)",
}

var reasonHelp = map[string]string{
	"none":                      "no reason (never counted)",
	"truncated":                 "frame shorter than the headers it claims",
	"bad_ethertype":             "not IPv4 or IPv6 (e.g. a VLAN tag)",
	"bad_ipv4_header":           "IPv4 version, IHL < 5 or total length inconsistent with the frame",
	"bad_ipv4_checksum":         "IPv4 header checksum invalid",
	"bad_ipv6_header":           "IPv6 version or payload length larger than the frame",
	"bad_ext_headers":           "truncated or over-long IPv6 extension-header chain, two Fragment headers, or a Jumbo Payload option (RFC 2675)",
	"ext_header_after_fragment": "extension header after the Fragment header (RFC 7915 5.1), answered with an ICMPv6 error",
	"segments_left_nonzero":     "Routing header with Segments Left != 0 (RFC 7915 5.1), answered with Parameter Problem",
	"ipv4_source_route":         "IPv4 packet with an unexpired source route option (RFC 7915 4.1), answered with ICMP 3/5",
	"bad_fragment":              "zero-length, misaligned or too-short fragment, or one ending past 65535 bytes",
	"bad_l4_header":             "first fragment too short for its TCP/UDP/ICMP header",
	"no_mapping_ipv6":           "an IPv6 address has no IPv4 mapping (neither EAMT nor pool6)",
	"no_mapping_ipv4":           "an IPv4 address has no IPv6 mapping (neither EAMT nor pool6)",
	"wkp_non_global_ipv4":       "64:ff9b::/96 with a non-global IPv4 address (RFC 6052 section 3.1)",
	"martian_address":           "IPv4 multicast, broadcast, reserved, unspecified or loopback address (RFC 1812 5.3.7), in either direction",
	"ttl_expired":               "TTL / hop limit reached zero; answered with Time Exceeded",
	"fragmentation_needed":      "IPv4 DF packet too big for the IPv6 side; answered with Fragmentation Needed",
	"packet_too_big":            "IPv6 packet too big for the IPv4 side; answered with Packet Too Big",
	"udp_zero_checksum":         "IPv4 UDP with checksum 0 and amend_udp_zero_checksum off (RFC 7915 4.5)",
	"icmp_untranslatable":       "ICMP type/code with no counterpart (RFC 7915 4.2/5.2)",
	"icmp_error_in_error":       "ICMP error inside an ICMP error",
	"icmp_bad_inner_packet":     "ICMP error whose inner packet is missing or malformed",
	"icmp_bad_extension":        "RFC 4884 length larger than the payload, or malformed",
	"icmp_bad_mtu":              "Packet Too Big / Fragmentation Needed that cannot be translated",
	"icmp_rate_limited":         "an ICMP error would have been sent but the rate limit said no (translate.icmp_errors_per_second)",
	"icmp_no_source":            "an ICMP error would have been sent but there is no source address (translate.ipv4_address / ipv6_address)",
	"no_buffer":                 "fragmentation needed a spare buffer and none was left",
	"too_big_for_buffer":        "the frame does not fit its buffer after translation",
	"icmp_fragmented":           "fragmented ICMP/ICMPv6 (any fragment): the checksum covers the whole message, which a stateless translator never sees",
	"udp_bad_length":            "UDP length field below 8 or beyond the IP payload (a first fragment's: not beyond it)",
	"icmp_bad_checksum":         "ICMPv4 error with an invalid checksum (not turned into a valid ICMPv6 one)",
}

// help returns the description of a counter, or a pointer to where it is
// defined when this table lacks it.
func help(m map[string]string, name, where string) string {
	if h := m[name]; h != "" {
		return h
	}
	return "see " + where
}

var eventHelp = map[string]string{
	"translated_4to6":            "IPv4 packets translated to IPv6",
	"translated_6to4":            "IPv6 packets translated to IPv4",
	"icmp_errors_sent":           "ICMP errors xlatd originated",
	"fragments_created":          "extra fragments xlatd created",
	"hairpinned":                 "packets translated twice (RFC 7757 hairpinning)",
	"udp_checksum_amended":       "IPv4 UDP zero checksums computed (RFC 7915 4.5)",
	"icmp_truncated":             "translated ICMP errors truncated to 576/1280 bytes",
	"rfc6791_source":             "ICMP errors whose source came from the RFC 6791 pool",
	"partial_checksum_completed": "TCP/UDP checksums a sender left for offload (only the pseudo-header sum, e.g. a veth peer with tx-checksumming on) that xlatd completed",
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
}

// collect gathers every counter, in a stable order.
func (d *daemon) collect() []Counter {
	var out []Counter
	s := d.dp.Snapshot()
	for v := batch.Verdict(0); v < batch.NumVerdicts; v++ {
		out = append(out, Counter{"verdict." + v.String(), verdictHelp[v], s.Verdicts[v]})
	}
	for r := batch.Reason(1); r < batch.NumReasons; r++ {
		out = append(out, Counter{"drop." + r.String(), help(reasonHelp, r.String(), "batch/reasons.go"), s.Drops[r]})
	}
	for e := batch.Event(0); e < batch.NumEvents; e++ {
		out = append(out, Counter{"event." + e.String(), help(eventHelp, e.String(), "batch/translator.go"), s.Events[e]})
	}
	for c := dataplane.Counter(0); c < dataplane.NumCounters; c++ {
		out = append(out, Counter{dataplane.Family + "." + c.String(), c.Help(), s.DP[c]})
	}
	xc := d.dp.ProgramCounters()
	for _, name := range afxdp.CounterNames() {
		out = append(out, Counter{"xdp." + name, help(xdpHelp, name, "afxdp/bpf/xlatd.c"), xc[name]})
	}
	ss := d.dp.SocketStats()
	out = append(out,
		Counter{"socket.rx_dropped", "frames the kernel dropped on the AF_XDP sockets for other reasons (XDP_STATISTICS)", ss.RxDropped},
		Counter{"socket.rx_invalid", "RX descriptors the kernel found invalid", ss.RxInvalid},
		Counter{"socket.tx_invalid", "TX descriptors the kernel refused", ss.TxInvalid},
		Counter{"socket.rx_ring_full", "frames dropped because an RX ring was full (the workers did not keep up)", ss.RxRingFull},
		Counter{"socket.fill_ring_empty", "times the kernel found a fill ring empty", ss.RxFillRingEmpty},
		Counter{"socket.tx_ring_empty", "times a TX wakeup found the TX ring empty", ss.TxRingEmpty},
	)
	m := d.mirror
	out = append(out,
		Counter{"neigh.refreshes", "snapshots of the kernel's routes and neighbours taken", m.Refreshes.Load()},
		Counter{"neigh.resolves", "neighbour resolutions asked of the kernel (RTM_NEWNEIGH with NTF_USE)", m.Resolves.Load()},
		Counter{"neigh.resolve_errors", "neighbour resolutions the kernel refused", m.ResolveErrs.Load()},
		Counter{"neigh.dropped_requests", "resolution requests dropped because the queue was full", m.DroppedReqs.Load()},
		Counter{"neigh.netlink_errors", "netlink errors (subscriptions or dumps)", m.NetlinkErrs.Load()},
		Counter{"config.reloads", "successful SIGHUP reloads", d.reloads.Load()},
		Counter{"config.reload_errors", "SIGHUP reloads refused (the old config kept running)", d.reloadErrs.Load()},
	)
	return out
}

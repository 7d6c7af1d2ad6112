package batch

// Reason names why a frame was dropped (or, for frames answered with an ICMP
// error, why the original was not forwarded). Every Reason is a counter.
type Reason uint8

const (
	ReasonNone Reason = iota

	// Malformed input.
	ReasonTruncated        // frame shorter than the headers it claims
	ReasonBadIPv4Header    // version, IHL < 5, total length inconsistent with IHL or frame
	ReasonBadIPv4Checksum  // IPv4 header checksum invalid
	ReasonBadIPv6Header    // version, payload length larger than frame
	ReasonBadExtHeaders    // truncated or over-long extension-header chain, two Fragment headers
	ReasonExtAfterFragment // extension header after the Fragment header (RFC 7915 5.1), answered
	ReasonSegmentsLeft     // Routing header with Segments Left != 0 (RFC 7915 5.1), answered
	ReasonSourceRoute      // IPv4 unexpired source route option (RFC 7915 4.1), answered
	ReasonBadFragment      // zero-length, misaligned or too-short-to-hold-L4 fragment
	ReasonBadL4Header      // first fragment too short for its TCP/UDP/ICMP header

	// Addressing.
	ReasonNoMapping6   // IPv6 source or destination has no IPv4 mapping
	ReasonNoMapping4   // IPv4 source or destination has no IPv6 mapping
	ReasonNonGlobalWKP // 64:ff9b::/96 with non-global IPv4 (RFC 6052 section 3.1)
	ReasonMartian      // multicast, broadcast, unspecified, loopback where not allowed

	// Policy of RFC 7915.
	ReasonTTLExpired         // TTL / hop limit reached zero, answered with Time Exceeded
	ReasonFragNeeded         // IPv4 DF too big for the IPv6 side, answered with Frag Needed
	ReasonPacketTooBig       // IPv6 too big for the IPv4 side, answered with Packet Too Big
	ReasonUDPZeroChecksum    // IPv4 UDP checksum 0 not amended (RFC 7915 4.5)
	ReasonICMPUntranslatable // ICMP type/code with no counterpart (RFC 7915 4.2/5.2)
	ReasonICMPErrorInError   // ICMP error inside an ICMP error
	ReasonICMPBadInner       // ICMP error whose inner packet is missing or malformed
	ReasonICMPBadExtension   // RFC 4884 length larger than the payload or malformed
	ReasonICMPBadMTU         // Packet Too Big / Frag Needed that cannot be translated

	// Resources.
	ReasonICMPRateLimited // an ICMP error would have been sent but the rate limit said no
	ReasonNoICMPSource    // an ICMP error would have been sent but there is no source address
	ReasonNoBuffer        // fragmentation needed a spare buffer and none was left
	ReasonTooBig          // the frame does not fit its buffer after translation

	// Added by 4to6.
	ReasonICMPFragmented  // fragmented ICMPv4 (first fragment): the ICMPv6 pseudo-header length is unknown
	ReasonICMPBadChecksum // ICMPv4 error with an invalid checksum (not turned into a valid ICMPv6 one)

	// Added for hostile input (issue 7).
	ReasonUDPBadLength // UDP length field below 8 or beyond the IP payload (first fragment: not beyond it)

	// Stateful NAT64 (issue 9, nat64.go): one per nat64.Result that drops,
	// and the store of held packets.
	ReasonNAT64NoMapping     // no BIB entry or session admits the packet (UDP/ICMP from IPv4: answered 3/3)
	ReasonNAT64Filtered      // address-dependent filtering refused an IPv4 packet
	ReasonNAT64QuotaPorts    // the subscriber holds all its ports (RFC 6888 REQ-4), answered 1/3
	ReasonNAT64QuotaSessions // the subscriber is at max_sessions_per_subscriber, answered 1/3
	ReasonNAT64TableFull     // max_sessions reached, answered 1/3
	ReasonNAT64PoolExhausted // no pool4 address has a free port block, answered 1/3
	ReasonNAT64NotSubscriber // the source is outside nat64.subscribers, answered 1/5
	ReasonNAT64Unsupported   // a protocol NAT64 keeps no state for (not TCP, UDP, ICMP echo)
	ReasonNAT64FragUnmatched // a fragment of no known packet and no room to wait for its first fragment
	ReasonNAT64FragExpired   // held fragments whose first fragment did not come within nat64.timeouts.fragment
	ReasonNAT64Held          // copied into the held store (IPv4 SYN or early fragment): not lost, see event.nat64_*
	ReasonNAT64HeldFull      // a packet to hold and the held store is full (or it is too big for a slot)
	ReasonNAT64NoTable       // NAT64 is configured but the Translator has no table (SetNAT64)

	NumReasons
)

// reasons is the drop-reason counter family, declared once: each Reason's
// counter name (drop.<name> in `xlatd stats` and /metrics) and its one-line
// help (`xlatd stats -explain`).
var reasons = [NumReasons]counterInfo{
	ReasonNone:               {"none", "no reason (never counted)"},
	ReasonTruncated:          {"truncated", "frame shorter than the headers it claims"},
	ReasonBadIPv4Header:      {"bad_ipv4_header", "IPv4 version, IHL < 5 or total length inconsistent with the frame"},
	ReasonBadIPv4Checksum:    {"bad_ipv4_checksum", "IPv4 header checksum invalid"},
	ReasonBadIPv6Header:      {"bad_ipv6_header", "IPv6 version or payload length larger than the frame"},
	ReasonBadExtHeaders:      {"bad_ext_headers", "truncated or over-long IPv6 extension-header chain, two Fragment headers, or a Jumbo Payload option (RFC 2675)"},
	ReasonExtAfterFragment:   {"ext_header_after_fragment", "extension header after the Fragment header (RFC 7915 5.1), answered with an ICMPv6 error"},
	ReasonSegmentsLeft:       {"segments_left_nonzero", "Routing header with Segments Left != 0 (RFC 7915 5.1), answered with Parameter Problem"},
	ReasonSourceRoute:        {"ipv4_source_route", "IPv4 packet with an unexpired source route option (RFC 7915 4.1), answered with ICMP 3/5"},
	ReasonBadFragment:        {"bad_fragment", "zero-length, misaligned or too-short fragment, or one ending past 65535 bytes"},
	ReasonBadL4Header:        {"bad_l4_header", "first fragment too short for its TCP/UDP/ICMP header"},
	ReasonNoMapping6:         {"no_mapping_ipv6", "an IPv6 address has no IPv4 mapping (neither EAMT nor pool6)"},
	ReasonNoMapping4:         {"no_mapping_ipv4", "an IPv4 address has no IPv6 mapping (neither EAMT nor pool6)"},
	ReasonNonGlobalWKP:       {"wkp_non_global_ipv4", "64:ff9b::/96 with a non-global IPv4 address (RFC 6052 section 3.1)"},
	ReasonMartian:            {"martian_address", "IPv4 multicast, broadcast, reserved, unspecified or loopback address (RFC 1812 5.3.7), in either direction"},
	ReasonTTLExpired:         {"ttl_expired", "TTL / hop limit reached zero; answered with Time Exceeded"},
	ReasonFragNeeded:         {"fragmentation_needed", "IPv4 DF packet too big for the IPv6 side; answered with Fragmentation Needed"},
	ReasonPacketTooBig:       {"packet_too_big", "IPv6 packet too big for the IPv4 side; answered with Packet Too Big"},
	ReasonUDPZeroChecksum:    {"udp_zero_checksum", "IPv4 UDP with checksum 0 and amend_udp_zero_checksum off (RFC 7915 4.5)"},
	ReasonICMPUntranslatable: {"icmp_untranslatable", "ICMP type/code with no counterpart (RFC 7915 4.2/5.2)"},
	ReasonICMPErrorInError:   {"icmp_error_in_error", "ICMP error inside an ICMP error"},
	ReasonICMPBadInner:       {"icmp_bad_inner_packet", "ICMP error whose inner packet is missing or malformed"},
	ReasonICMPBadExtension:   {"icmp_bad_extension", "RFC 4884 length larger than the payload, or malformed"},
	ReasonICMPBadMTU:         {"icmp_bad_mtu", "Packet Too Big / Fragmentation Needed that cannot be translated"},
	ReasonICMPRateLimited:    {"icmp_rate_limited", "an ICMP error would have been sent but the rate limit said no (translate.icmp_errors_per_second)"},
	ReasonNoICMPSource:       {"icmp_no_source", "an ICMP error would have been sent but there is no source address (translate.ipv4_address / ipv6_address)"},
	ReasonNoBuffer:           {"no_buffer", "fragmentation needed a spare buffer and none was left"},
	ReasonTooBig:             {"too_big_for_buffer", "the frame does not fit its buffer after translation"},
	ReasonICMPFragmented:     {"icmp_fragmented", "fragmented ICMP/ICMPv6 (any fragment): the checksum covers the whole message, which a stateless translator never sees"},
	ReasonICMPBadChecksum:    {"icmp_bad_checksum", "ICMPv4 error with an invalid checksum (not turned into a valid ICMPv6 one)"},
	ReasonUDPBadLength:       {"udp_bad_length", "UDP length field below 8 or beyond the IP payload (a first fragment's: not beyond it)"},
	ReasonNAT64NoMapping:     {"nat64_no_mapping", "NAT64: no BIB entry or session admits the packet (IPv4 UDP/ICMP answered with port unreachable; an IPv6 TCP non-SYN without session)"},
	ReasonNAT64Filtered:      {"nat64_filtered", "NAT64: address-dependent filtering refused an IPv4 packet (RFC 6146 3.5.2, RFC 4787 REQ-8)"},
	ReasonNAT64QuotaPorts:    {"nat64_quota_ports", "NAT64: the subscriber holds all the ports it may (RFC 6888 REQ-4); answered with ICMPv6 1/3"},
	ReasonNAT64QuotaSessions: {"nat64_quota_sessions", "NAT64: the subscriber is at nat64.max_sessions_per_subscriber; answered with ICMPv6 1/3"},
	ReasonNAT64TableFull:     {"nat64_table_full", "NAT64: the worker's table is at nat64.max_sessions; answered with ICMPv6 1/3"},
	ReasonNAT64PoolExhausted: {"nat64_pool_exhausted", "NAT64: no pool4 address has a free port block for a new subscriber; answered with ICMPv6 1/3"},
	ReasonNAT64NotSubscriber: {"nat64_not_subscriber", "NAT64: the IPv6 source is outside nat64.subscribers; answered with ICMPv6 1/5"},
	ReasonNAT64Unsupported:   {"nat64_unsupported", "NAT64: a protocol without state (only TCP, UDP and ICMP echo are translated statefully)"},
	ReasonNAT64FragUnmatched: {"nat64_frag_unmatched", "NAT64: a fragment of no known packet, with no room to wait for its first fragment"},
	ReasonNAT64FragExpired:   {"nat64_frag_expired", "NAT64: held fragments whose first fragment did not come within nat64.timeouts.fragment, or dropped by xlatd nat64 flush"},
	ReasonNAT64Held:          {"nat64_held", "NAT64: copied into the held store (an IPv4 SYN without mapping, a fragment before its first); not a loss: each ends as event.nat64_held_released, an ICMP error or drop.nat64_frag_expired"},
	ReasonNAT64HeldFull:      {"nat64_held_full", "NAT64: a packet was to be held and the held store had no free slot (or the packet exceeds a slot)"},
	ReasonNAT64NoTable:       {"nat64_no_table", "NAT64 is configured but this worker has no table (datapath bug)"},
}

// counterInfo names one counter of a family and says what it counts.
type counterInfo struct {
	name, help string
}

// String returns the reason's counter name.
func (r Reason) String() string {
	if r < NumReasons {
		return reasons[r].name
	}
	return "unknown"
}

// Help returns the one-line description of the reason's counter.
func (r Reason) Help() string {
	if r < NumReasons {
		return reasons[r].help
	}
	return ""
}

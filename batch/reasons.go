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

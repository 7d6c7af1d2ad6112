package batch

// Reason names why a frame was dropped (or, for frames answered with an ICMP
// error, why the original was not forwarded). Every Reason is a counter.
type Reason uint8

const (
	ReasonNone Reason = iota

	// Malformed input.
	ReasonTruncated        // frame shorter than the headers it claims
	ReasonBadEtherType     // not IPv4 or IPv6 (e.g. VLAN tag): not ours
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

var reasonNames = [NumReasons]string{
	ReasonNone:               "none",
	ReasonTruncated:          "truncated",
	ReasonBadEtherType:       "bad_ethertype",
	ReasonBadIPv4Header:      "bad_ipv4_header",
	ReasonBadIPv4Checksum:    "bad_ipv4_checksum",
	ReasonBadIPv6Header:      "bad_ipv6_header",
	ReasonBadExtHeaders:      "bad_ext_headers",
	ReasonExtAfterFragment:   "ext_header_after_fragment",
	ReasonSegmentsLeft:       "segments_left_nonzero",
	ReasonSourceRoute:        "ipv4_source_route",
	ReasonBadFragment:        "bad_fragment",
	ReasonBadL4Header:        "bad_l4_header",
	ReasonNoMapping6:         "no_mapping_ipv6",
	ReasonNoMapping4:         "no_mapping_ipv4",
	ReasonNonGlobalWKP:       "wkp_non_global_ipv4",
	ReasonMartian:            "martian_address",
	ReasonTTLExpired:         "ttl_expired",
	ReasonFragNeeded:         "fragmentation_needed",
	ReasonPacketTooBig:       "packet_too_big",
	ReasonUDPZeroChecksum:    "udp_zero_checksum",
	ReasonICMPUntranslatable: "icmp_untranslatable",
	ReasonICMPErrorInError:   "icmp_error_in_error",
	ReasonICMPBadInner:       "icmp_bad_inner_packet",
	ReasonICMPBadExtension:   "icmp_bad_extension",
	ReasonICMPBadMTU:         "icmp_bad_mtu",
	ReasonICMPRateLimited:    "icmp_rate_limited",
	ReasonNoICMPSource:       "icmp_no_source",
	ReasonNoBuffer:           "no_buffer",
	ReasonTooBig:             "too_big_for_buffer",
	ReasonICMPFragmented:     "icmp_fragmented",
	ReasonICMPBadChecksum:    "icmp_bad_checksum",
	ReasonUDPBadLength:       "udp_bad_length",
}

func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

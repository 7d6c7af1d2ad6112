package mapping

// Non-global IPv4 addresses, for the Well-Known Prefix rule of RFC 6052
// section 3.1:
//
//	The Well-Known Prefix MUST NOT be used to represent non-global IPv4
//	addresses, such as those defined in [RFC1918] or listed in Section 3
//	of [RFC5735].
//
// and, for translators:
//
//	Address translators MUST NOT translate packets in which an address is
//	composed of the Well-Known Prefix and a non-global IPv4 address; they
//	MUST drop these packets.
//
// The list is the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and
// the RFCs that updated it) entries whose "Globally Reachable" column is
// False, plus what RFC 5735 section 3 lists outside that registry today:
// multicast 224.0.0.0/4 and the deprecated 6to4 relay anycast
// 192.88.99.0/24 (RFC 7526). Registry entries marked globally reachable
// are NOT refused: 192.0.0.9/32 (PCP anycast, RFC 7723), 192.0.0.10/32
// (TURN anycast, RFC 8155) inside 192.0.0.0/24, 192.31.196.0/24 (AS112,
// RFC 7535), 192.52.193.0/24 (AMT, RFC 7450) and 192.175.48.0/24 (AS112
// direct delegation, RFC 7534).
//
// Lookup is table driven: one load classifies the first octet; only seven
// first octets need a short scan of more specific prefixes.

type special4 struct {
	net, mask uint32
	global    bool // an exception inside a non-global block
}

// specials4 is grouped by first octet; within a group, exceptions first.
var specials4 = [...]special4{
	{net: 100<<24 | 64<<16, mask: 0xffc00000},                          // 100.64.0.0/10 shared address space (RFC 6598)
	{net: 169<<24 | 254<<16, mask: 0xffff0000},                         // 169.254.0.0/16 link local (RFC 3927)
	{net: 172<<24 | 16<<16, mask: 0xfff00000},                          // 172.16.0.0/12 private (RFC 1918)
	{net: 192<<24 | 0<<16 | 0<<8 | 9, mask: 0xffffffff, global: true},  // 192.0.0.9/32 PCP anycast (RFC 7723)
	{net: 192<<24 | 0<<16 | 0<<8 | 10, mask: 0xffffffff, global: true}, // 192.0.0.10/32 TURN anycast (RFC 8155)
	{net: 192 << 24, mask: 0xffffff00},                                 // 192.0.0.0/24 IETF protocol assignments (RFC 6890)
	{net: 192<<24 | 0<<16 | 2<<8, mask: 0xffffff00},                    // 192.0.2.0/24 TEST-NET-1 (RFC 5737)
	{net: 192<<24 | 88<<16 | 99<<8, mask: 0xffffff00},                  // 192.88.99.0/24 6to4 relay anycast, deprecated (RFC 7526)
	{net: 192<<24 | 168<<16, mask: 0xffff0000},                         // 192.168.0.0/16 private (RFC 1918)
	{net: 198<<24 | 18<<16, mask: 0xfffe0000},                          // 198.18.0.0/15 benchmarking (RFC 2544)
	{net: 198<<24 | 51<<16 | 100<<8, mask: 0xffffff00},                 // 198.51.100.0/24 TEST-NET-2 (RFC 5737)
	{net: 203<<24 | 0<<16 | 113<<8, mask: 0xffffff00},                  // 203.0.113.0/24 TEST-NET-3 (RFC 5737)
}

// Classes of first octets.
const (
	octGlobal    = 0
	octNonGlobal = 1
	octScan      = 2 // scan specials4[lo:hi]
)

type octetClass struct{ class, lo, hi uint8 }

var firstOctet = func() (t [256]octetClass) {
	for _, o := range []int{0, 10, 127} { // 0/8 "this network", 10/8 private, 127/8 loopback
		t[o].class = octNonGlobal
	}
	for o := 224; o < 256; o++ { // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast
		t[o].class = octNonGlobal
	}
	for i, s := range specials4 {
		o := s.net >> 24
		if t[o].class != octScan {
			t[o] = octetClass{class: octScan, lo: uint8(i)}
		}
		t[o].hi = uint8(i + 1)
	}
	return t
}()

// isGlobal4 reports whether RFC 6052 section 3.1 allows v4 under the
// Well-Known Prefix. It does not allocate.
func isGlobal4(v4 [4]byte) bool {
	return isGlobal32(uint32(v4[0])<<24 | uint32(v4[1])<<16 | uint32(v4[2])<<8 | uint32(v4[3]))
}

// isGlobal32 is isGlobal4 on the address as a big-endian number.
func isGlobal32(v uint32) bool {
	c := firstOctet[v>>24]
	switch c.class {
	case octGlobal:
		return true
	case octNonGlobal:
		return false
	}
	for _, s := range specials4[c.lo:c.hi] {
		if v&s.mask == s.net {
			return s.global
		}
	}
	return true
}

// IsGlobal4 reports whether v4 may be represented under the Well-Known
// Prefix 64:ff9b::/96 (RFC 6052 section 3.1); see the list above.
func IsGlobal4(v4 [4]byte) bool { return isGlobal4(v4) }

package graybox

// The NAT64 half of the corpus (INDEX.md section 5, "NAT64 (42 send/expect
// exchanges)"), replayed in order through one NAT64 state: the rows depend
// on sessions earlier rows created. The configuration is INDEX.md section
// 3's NAT64 paragraph (NAT64Setup); Env carries the mid-run changes.

// NAT64Setup is the baseline NAT64 configuration of INDEX.md section 3, in
// xlatd's terms.
var NAT64Setup = struct {
	Pool6        string
	Pool4        string
	Ports        [2]uint16 // xlatd: the dynamic range (Jool: 1-3000, statics inside; see NAT64Deviations)
	ICMPv4Source string    // j's to_client_v4 address: the source of errors it originates
	ICMPv6Source string    // j's to_client_v6 address
	Static       []NAT64Static
}{
	Pool6:        "64:ff9b::/96",
	Pool4:        "192.0.2.2/32",
	Ports:        [2]uint16{3001, 65535},
	ICMPv4Source: "192.0.2.2",
	ICMPv6Source: "2001:db8::1",
	Static: []NAT64Static{
		{"tcp", "2001:db8::5", 2000, "192.0.2.2", 2000},
		{"udp", "2001:db8::5", 2000, "192.0.2.2", 2000},
		{"icmp", "2001:db8::5", 1, "192.0.2.2", 1},
		{"udp", "2001:db8:1::5", 1001, "192.0.2.2", 1000},
		{"udp", "2001:db8::5", 1003, "192.0.2.2", 1002},
		// Not in Jool's setup: so/success expects the IPv6 SYN's port
		// 2600 kept on the IPv4 side, which Jool's allocator does by
		// preferring the source port; xlatd's are random (RFC 6888
		// REQ-15), so a static entry stands in for that choice.
		{"tcp", "2001:db8::5", 2600, "192.0.2.2", 2600},
	},
}

// NAT64Static is one static BIB entry.
type NAT64Static struct {
	Proto string
	IPv6  string
	Port6 int
	IPv4  string
	Port4 int
}

// NAT64Rows is INDEX.md section 5's NAT64 table, in execution order.
// Descriptions are INDEX.md's.
var NAT64Rows = []Row{
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-udp-csumok-df-nofrag", In: "nat64/pktgen/sender/6-udp-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-udp-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-df-nofrag", In: "nat64/pktgen/sender/6-udp-csumfail-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-udp-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); L4 csum recomputed/updated
	{Name: "6-udp-csumok-nodf-nofrag", In: "nat64/pktgen/sender/6-udp-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-udp-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-nodf-nofrag", In: "nat64/pktgen/sender/6-udp-csumfail-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-udp-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-udp-csumok-df-nofrag", In: "nat64/pktgen/sender/4-udp-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-udp-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-df-nofrag", In: "nat64/pktgen/sender/4-udp-csumfail-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-udp-csumfail-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-udp-csumok-nodf-nofrag", In: "nat64/pktgen/sender/4-udp-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-udp-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-nodf-nofrag", In: "nat64/pktgen/sender/4-udp-csumfail-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-udp-csumfail-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-tcp-csumok-df-nofrag", In: "nat64/pktgen/sender/6-tcp-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-tcp-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-df-nofrag", In: "nat64/pktgen/sender/6-tcp-csumfail-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-tcp-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); L4 csum recomputed/updated
	{Name: "6-tcp-csumok-nodf-nofrag", In: "nat64/pktgen/sender/6-tcp-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-tcp-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-nodf-nofrag", In: "nat64/pktgen/sender/6-tcp-csumfail-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-tcp-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-icmp6info-csumok-df-nofrag", In: "nat64/pktgen/sender/6-icmp6info-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4info-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-icmp6info-csumfail-df-nofrag", In: "nat64/pktgen/sender/6-icmp6info-csumfail-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4info-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); L4 csum recomputed/updated
	{Name: "6-icmp6info-csumok-nodf-nofrag", In: "nat64/pktgen/sender/6-icmp6info-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4info-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); bad L4 csum stays equally bad (incremental update)
	{Name: "6-icmp6info-csumfail-nodf-nofrag", In: "nat64/pktgen/sender/6-icmp6info-csumfail-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4info-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-icmp4info-csumok-df-nofrag", In: "nat64/pktgen/sender/4-icmp4info-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6info-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-icmp4info-csumfail-df-nofrag", In: "nat64/pktgen/sender/4-icmp4info-csumfail-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6info-csumfail-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-icmp4info-csumok-nodf-nofrag", In: "nat64/pktgen/sender/4-icmp4info-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6info-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-icmp4info-csumfail-nodf-nofrag", In: "nat64/pktgen/sender/4-icmp4info-csumfail-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6info-csumfail-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpe64, 64) ICMPv6 error no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; inner pkt translated, truncated to 576B
	{Name: "6-icmp6err-csumok-df-nofrag", In: "nat64/pktgen/sender/6-icmp6err-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4err-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (icmpe64, 64) ICMPv6 error atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID not preserved (defrag strips atomic frag hdr); inner pkt translated, truncated to 576B
	{Name: "6-icmp6err-csumok-nodf-nofrag", In: "nat64/pktgen/sender/6-icmp6err-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/4-icmp4err-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (icmpe46, 46) ICMPv4 error DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{Name: "4-icmp4err-csumok-df-nofrag", In: "nat64/pktgen/sender/4-icmp4err-csumok-df-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6err-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpe46, 46) ICMPv4 error !DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{Name: "4-icmp4err-csumok-nodf-nofrag", In: "nat64/pktgen/sender/4-icmp4err-csumok-nodf-nofrag.pkt", Want: []string{"nat64/pktgen/receiver/6-icmp6err-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (misc, 66) [zeroize-traffic-class=true, source-icmpv6-errors-better=on(default)] n4 routes 203.0.113.6 nowhere -> ICMPv4 3/0 from 192.0.2.5 -> ICMPv6 1/0 src 64:ff9b::c000:205 (the ICMP sender), issue #132 [env: global zeroize-traffic-class=true]
	{Name: "issue132/test", Router4: "192.0.2.5", In: "nat64/manual/issue132/test.pkt", Want: []string{"nat64/manual/issue132/expected-on.pkt"}, Dir: "66", Env: Env{ZeroizeTC: true}, Script: "-"},
	// (misc, 66) [source-icmpv6-errors-better=off] same, ICMPv6 src = 64:ff9b::cb00:7106 (inner dst), issue #132 [env: global zeroize-traffic-class=true, global source-icmpv6-errors-better=off]
	{Name: "issue132/test-2", Router4: "192.0.2.5", In: "nat64/manual/issue132/test.pkt", Want: []string{"nat64/manual/issue132/expected-off.pkt"}, Dir: "66", Env: Env{ZeroizeTC: true, ErrorsBetterOff: true}, Script: "-"},
	// (errors, 44) IPv4 UDP to 192.0.2.2#4101 with no BIB -> ICMPv4 3/3 from j 192.0.2.2
	{Name: "icmp-error/bibless-test", In: "nat64/manual/icmp-error/bibless-test.pkt", Want: []string{"nat64/manual/icmp-error/bibless-expected.pkt"}, Dir: "44", Script: "1,4,5,10,11", TOS: true},
	// (errors, 66) [j v4 if mtu 1000] IPv6 UDP 1281B -> ICMPv6 PTB from j 2001:db8::1, MTU 1280 (bytes 1-3 = tc/flow exempt) [env: mtu joolns:to_client_v4=1000]
	{Name: "icmp-error/ptb64-test", In: "nat64/manual/icmp-error/ptb64-test.pkt", Want: []string{"nat64/manual/icmp-error/ptb64-expected.pkt"}, Dir: "66", Env: Env{MTU4: 1000}, Script: "1,2,3", TOS: true},
	// (errors, 44) [j v6 if mtu 1280] IPv4 DF UDP 1261B -> ICMPv4 3/4 MTU 1260 from j 192.0.2.2 [env: mtu joolns:to_client_v6=1280]
	{Name: "icmp-error/ptb46-test", In: "nat64/manual/icmp-error/ptb46-test.pkt", Want: []string{"nat64/manual/icmp-error/ptb46-expected.pkt"}, Dir: "44", Env: Env{MTU6: 1280}, Script: "1,4,5,6,10,11", TOS: true},
	// (ptb, 64) creates session 2001:db8:1::5#1001 <-> 192.0.2.2#1000 (static BIB)
	{Name: "ptb64/session-test", In: "nat64/manual/ptb64/session-test.pkt", Want: []string{"nat64/manual/ptb64/session-expected.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (ptb, 64) creates session 2001:db8::5#2000 <-> 192.0.2.2#2000 to 203.0.113.24#4000
	{Name: "ptb46/session-test", In: "nat64/manual/ptb46/session-test.pkt", Want: []string{"nat64/manual/ptb46/session-expected.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (ptb, 66) hairpin session 2001:db8::5#1003 -> 64:ff9b::192.0.2.2#1000 -> 2001:db8:1::5#1001
	{Name: "ptb66/session-test", Hairpin: true, In: "nat64/manual/ptb66/session-test.pkt", Want: []string{"nat64/manual/ptb66/session-expected.pkt"}, Dir: "66", Script: "-"},
	// (ptb, 64) ICMPv6 PTB MTU 1400 for that session -> ICMPv4 3/4 MTU 1380
	{Name: "ptb64/test", In: "nat64/manual/ptb64/test.pkt", Want: []string{"nat64/manual/ptb64/expected.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (ptb, 46) ICMPv4 3/4 MTU 1400 -> ICMPv6 PTB MTU 1420 (src per issue #132)
	{Name: "ptb46/test", In: "nat64/manual/ptb46/test.pkt", Want: []string{"nat64/manual/ptb46/expected.pkt"}, Dir: "46", Script: "-"},
	// (ptb, 66) hairpinned PTB MTU 1200 -> PTB MTU 1280 (clamped)
	{Name: "ptb66/test", Hairpin: true, In: "nat64/manual/ptb66/test.pkt", Want: []string{"nat64/manual/ptb66/expected.pkt"}, Dir: "66", Script: "-"},
	// (so, 44) unsolicited IPv4 TCP SYN (no BIB) -> held ~6 s then ICMPv4 3/3 (RFC 6146 s3.5.2.2)
	{Name: "so/46-sender", Wait: 8100, In: "nat64/manual/so/46-sender.pkt", Want: []string{"nat64/manual/so/46-receiver.pkt"}, Dir: "44", Script: "1,4,5,6,10,11", TOS: true},
	// (so, 66) hairpinned unsolicited TCP SYN -> ICMPv6 1/4 from 2001:db8::1 after ~6 s
	{Name: "so/66-sender", Wait: 8100, In: "nat64/manual/so/66-sender.pkt", Want: []string{"nat64/manual/so/66-receiver.pkt"}, Dir: "66", Script: "1,5,6,10,11", TOS: true},
	// (so, 4+64) simultaneous open: IPv4 SYN then matching IPv6 SYN -> IPv4 SYN with predictable 192.0.2.2#2600
	{Name: "so/success-sender4", Wait: 8100, In: "nat64/manual/so/success-sender4.pkt", Also: []string{"nat64/manual/so/success-sender6.pkt"}, Want: []string{"nat64/manual/so/success-receiver.pkt"}, Dir: "64", Script: "4,5,6,10,11"},
	// (frag, 64) creates UDP session 2001:db8::5#2000 <-> 192.0.2.2#2000
	{Name: "frag/icmp6-session-test", In: "nat64/manual/frag/icmp6-session-test.pkt", Want: []string{"nat64/manual/frag/icmp6-session-expected.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (frag, 64) ICMPv6 error 1396B -> ICMPv4 error truncated to 576B
	{Name: "frag/icmp6-test", In: "nat64/manual/frag/icmp6-test.pkt", Want: []string{"nat64/manual/frag/icmp6-expected.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (frag, 46) ICMPv4 error 1356B -> ICMPv6 error truncated to 1280B
	{Name: "frag/icmp4-test", In: "nat64/manual/frag/icmp4-test.pkt", Want: []string{"nat64/manual/frag/icmp4-expected.pkt"}, Dir: "46", Script: "-"},
	// (frag, 46) IPv4 !DF UDP 1428B id 4660 -> IPv6 fragments 1280B + 224B, Frag ID 0x1234 (lowest-ipv6-mtu 1280)
	{Name: "frag/minmtu6-big-test", In: "nat64/manual/frag/minmtu6-big-test.pkt", Want: []string{"nat64/manual/frag/minmtu6-big0-expected.pkt", "nat64/manual/frag/minmtu6-big1-expected.pkt"}, Dir: "46", Script: "-"},
}

// NAT64Deviations lists the NAT64 rows xlatd does not match, with the
// reason (an RFC sentence where the difference is a choice).
var NAT64Deviations = map[string]string{
	"issue132/test-2": `Jool's source-icmpv6-errors-better=off (the ICMPv6 source is the quoted packet's destination) ` +
		`is not implemented: xlatd always translates the ICMPv4 error's own source, as RFC 7915 section 4.1 does ` +
		`for every packet ("source address ... translated"), which is Jool's default`,
}

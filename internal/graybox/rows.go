// Package graybox holds the SIIT rows of Jool's graybox packet corpus
// (../shared/conformance/jool-graybox/INDEX.md section 5, plus the unused
// pktgen TCP 4->6 data of section 4) and Jool's rules for deciding that an
// actual packet equals an expected one (INDEX.md section 2). It is shared by
// the in-process replay (batch) and the replay through the running daemon
// (e2e). The corpus itself is never copied into the repository.
package graybox

// Row is one send/expect exchange.
type Row struct {
	Name     string   // INDEX.md name; repeated names get a -2 suffix
	In       string   // input file, relative to the corpus
	Want     []string // expected files, in arrival order
	Dir      string   // INDEX.md direction: 64, 46, 66 (back to the IPv6 sender), 44 (back to the IPv4 sender)
	Hairpin  bool     // 66 row answered by hairpinning (translated twice), not an error xlatd originates
	Env      Env      // deviations from the baseline configuration
	Script   string   // exceptions passed by Jool's test.sh (documentation)
	TOS      bool     // offset 1 (IPv4 TOS) exempt
	ICMPCsum bool     // 22,23: the ICMPv4 checksum covers a translator-chosen inner ID: verify it
	Extra    bool     // not in Jool's test.sh (INDEX.md section 4)

	// NAT64 rows.
	Also    []string // further inputs, sent after In (so/success: the IPv6 SYN after the IPv4 one)
	Wait    int      // ms the clock advances after the inputs (Jool's test sleeps 8.1 s for so rows), with an idle Translate
	Router4 string   // the IPv4 network answers the translated packet: ICMPv4 3/0 from this address (emulates n4 in issue132)
}

// Env is a row's deviation from the baseline SIIT configuration of INDEX.md
// section 3.
type Env struct {
	LowestMTU int    // global lowest-ipv6-mtu (0: baseline 1280)
	MTU4      int    // translator's IPv4 link MTU, and the IPv4 host's when 2153 (0: 1500)
	MTU6      int    // translator's IPv6 link MTU (0: 1500)
	AmendUDP  bool   // global amend-udp-checksum-zero=1
	No6791v4  bool   // global rfc6791v4-prefix=null (baseline 203.0.113.8/32)
	Pool6Null bool   // global pool6=null plus the two extra EAMs
	RFC6791v6 string // global rfc6791v6-prefix (baseline null)

	// NAT64 (INDEX.md section 3, mid-run changes).
	ZeroizeTC       bool // global zeroize-traffic-class=true
	ErrorsBetterOff bool // global source-icmpv6-errors-better=off
}

// Rows is INDEX.md section 5 (SIIT), in execution order, followed by the
// section 4 extras. Descriptions are INDEX.md's.
var Rows = []Row{
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-udp-csumok-df-nofrag", In: "siit/pktgen/sender/6-udp-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-udp-csumok-nodf-nofrag", In: "siit/pktgen/sender/6-udp-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-udp-csumok-nodf-frag0", In: "siit/pktgen/sender/6-udp-csumok-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag0.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-udp-csumok-nodf-frag1", In: "siit/pktgen/sender/6-udp-csumok-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag1.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-udp-csumok-nodf-frag2", In: "siit/pktgen/sender/6-udp-csumok-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag2.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-df-nofrag", In: "siit/pktgen/sender/6-udp-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-nodf-nofrag", In: "siit/pktgen/sender/6-udp-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-nodf-frag0", In: "siit/pktgen/sender/6-udp-csumfail-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag0.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-nodf-frag1", In: "siit/pktgen/sender/6-udp-csumfail-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag1.pkt"}, Dir: "64", Script: "-"},
	// (udp64, 64) UDP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-udp-csumfail-nodf-frag2", In: "siit/pktgen/sender/6-udp-csumfail-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag2.pkt"}, Dir: "64", Script: "-"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-udp-csumok-df-nofrag", In: "siit/pktgen/sender/4-udp-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-udp-csumok-nodf-nofrag", In: "siit/pktgen/sender/4-udp-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag0 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{Name: "4-udp-csumok-nodf-frag0", In: "siit/pktgen/sender/4-udp-csumok-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag0.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag1 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{Name: "4-udp-csumok-nodf-frag1", In: "siit/pktgen/sender/4-udp-csumok-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag1.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag2 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{Name: "4-udp-csumok-nodf-frag2", In: "siit/pktgen/sender/4-udp-csumok-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag2.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-df-nofrag", In: "siit/pktgen/sender/4-udp-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumfail-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-nodf-nofrag", In: "siit/pktgen/sender/4-udp-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag0 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-nodf-frag0", In: "siit/pktgen/sender/4-udp-csumfail-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag0.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag1 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-nodf-frag1", In: "siit/pktgen/sender/4-udp-csumfail-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag1.pkt"}, Dir: "46", Script: "-"},
	// (udp46, 46) UDP !DF frag2 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{Name: "4-udp-csumfail-nodf-frag2", In: "siit/pktgen/sender/4-udp-csumfail-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag2.pkt"}, Dir: "46", Script: "-"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-tcp-csumok-df-nofrag", In: "siit/pktgen/sender/6-tcp-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-tcp-csumok-nodf-nofrag", In: "siit/pktgen/sender/6-tcp-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-tcp-csumok-nodf-frag0", In: "siit/pktgen/sender/6-tcp-csumok-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag0.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-tcp-csumok-nodf-frag1", In: "siit/pktgen/sender/6-tcp-csumok-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag1.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-tcp-csumok-nodf-frag2", In: "siit/pktgen/sender/6-tcp-csumok-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag2.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-df-nofrag", In: "siit/pktgen/sender/6-tcp-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-nodf-nofrag", In: "siit/pktgen/sender/6-tcp-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-nodf-frag0", In: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag0.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-nodf-frag1", In: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag1.pkt"}, Dir: "64", Script: "-"},
	// (tcp64, 64) TCP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-tcp-csumfail-nodf-frag2", In: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag2.pkt"}, Dir: "64", Script: "-"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{Name: "6-icmp6info-csumok-df-nofrag", In: "siit/pktgen/sender/6-icmp6info-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4info-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{Name: "6-icmp6info-csumok-nodf-nofrag", In: "siit/pktgen/sender/6-icmp6info-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4info-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{Name: "6-icmp6info-csumfail-df-nofrag", In: "siit/pktgen/sender/6-icmp6info-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4info-csumfail-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{Name: "6-icmp6info-csumfail-nodf-nofrag", In: "siit/pktgen/sender/6-icmp6info-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4info-csumfail-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-icmp4info-csumok-df-nofrag", In: "siit/pktgen/sender/4-icmp4info-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6info-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{Name: "4-icmp4info-csumok-nodf-nofrag", In: "siit/pktgen/sender/4-icmp4info-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6info-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-icmp4info-csumfail-df-nofrag", In: "siit/pktgen/sender/4-icmp4info-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6info-csumfail-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{Name: "4-icmp4info-csumfail-nodf-nofrag", In: "siit/pktgen/sender/4-icmp4info-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6info-csumfail-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpe64, 64) ICMPv6 error no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; inner pkt translated, truncated to 576B
	{Name: "6-icmp6err-csumok-df-nofrag", In: "siit/pktgen/sender/6-icmp6err-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4err-csumok-df-nofrag.pkt"}, Dir: "64", Script: "4,5,10,11,22,23,32,33,34,38,39", ICMPCsum: true},
	// (icmpe64, 64) ICMPv6 error atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); inner pkt translated, truncated to 576B
	{Name: "6-icmp6err-csumok-nodf-nofrag", In: "siit/pktgen/sender/6-icmp6err-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/4-icmp4err-csumok-nodf-nofrag.pkt"}, Dir: "64", Script: "-"},
	// (icmpe46, 46) ICMPv4 error DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{Name: "4-icmp4err-csumok-df-nofrag", In: "siit/pktgen/sender/4-icmp4err-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6err-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (icmpe46, 46) ICMPv4 error !DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{Name: "4-icmp4err-csumok-nodf-nofrag", In: "siit/pktgen/sender/4-icmp4err-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-icmp6err-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-"},
	// (misc, 64) ICMPv6 error from untranslatable 4000::1 -> ICMPv4 error src = rfc6791v4-prefix 203.0.113.8
	{Name: "6791v64t", In: "siit/manual/6791v64t.pkt", Want: []string{"siit/manual/6791v64e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (misc, 66) ICMPv6 error + hairpin + rfc6791v4: out src 2001:db8:1cb:71:8:: (pool6 of 203.0.113.8) -> 2001:db8:3::1
	{Name: "6791v66t", Hairpin: true, In: "siit/manual/6791v66t.pkt", Want: []string{"siit/manual/6791v66e.pkt"}, Dir: "66", Script: "-"},
	// (misc, 64) [rfc6791v4-prefix=null] ICMPv6 error from untranslatable 4000::1 -> ICMPv4 error src = j own IPv4 198.51.100.1
	{Name: "6791v64t-2", In: "siit/manual/6791v64t.pkt", Want: []string{"siit/manual/6791v64e-empty.pkt"}, Dir: "64", Env: Env{No6791v4: true}, Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (misc, 46) [pool6=null, rfc6791v6-prefix=null, 2 extra EAMs] ICMPv4 error from untranslatable 2.0.0.2 -> ICMPv6 src = j own IPv6 2001:db8:1c0:2:1::
	{Name: "6791v46t", In: "siit/manual/6791v46t.pkt", Want: []string{"siit/manual/6791v46e-empty.pkt"}, Dir: "46", Env: Env{Pool6Null: true}, Script: "-"},
	// (misc, 46) [pool6=null, rfc6791v6-prefix=2::2, 2 extra EAMs] ICMPv4 error from untranslatable 2.0.0.2 -> ICMPv6 src 2::2
	{Name: "6791v46t-2", In: "siit/manual/6791v46t.pkt", Want: []string{"siit/manual/6791v46e.pkt"}, Dir: "46", Env: Env{Pool6Null: true, RFC6791v6: "2::2/128"}, Script: "-"},
	// (rfc7915, 46) IPv4/UDP (no options) -> IPv6/UDP; addrs via pool6 /40, TTL-1
	{Name: "aat1", In: "siit/7915/aat1.pkt", Want: []string{"siit/7915/aae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) IPv4 options set A (Security, LSRR, SSRR, StreamID, EOL, NOP) are NOT translated -> plain IPv6 (7915 s1.2)
	{Name: "aat2", In: "siit/7915/aat2.pkt", Want: []string{"siit/7915/aae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) IPv4 options set B (Record Route, Timestamp) are NOT translated -> plain IPv6
	{Name: "aat3", In: "siit/7915/aat3.pkt", Want: []string{"siit/7915/aae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) plain IPv6/UDP -> IPv4/UDP, DF=0 (len<=1260), random ID
	{Name: "abt1", In: "siit/7915/abt1.pkt", Want: []string{"siit/7915/abe1.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (rfc7915, 64) HbH+DestOpts+Routing(segleft 0) before UDP are dropped -> plain IPv4 (7915 s1.2/5.1)
	{Name: "abt2", In: "siit/7915/abt2.pkt", Want: []string{"siit/7915/abe1.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (rfc7915, 64) same SEHs + Fragment(M=1,id 0x01020304) -> IPv4 fragment MF=1, ID=0x0304(772), DF=0
	{Name: "abt3", In: "siit/7915/abt3.pkt", Want: []string{"siit/7915/abe2.pkt"}, Dir: "64", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->DestOpts(PadN)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act1", In: "siit/7915/act1.pkt", Want: []string{"siit/7915/ace1.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->DestOpts(Pad1s)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act2", In: "siit/7915/act2.pkt", Want: []string{"siit/7915/ace2.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->Routing) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act3", In: "siit/7915/act3.pkt", Want: []string{"siit/7915/ace3.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (HbH->Frag->HbH) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act4", In: "siit/7915/act4.pkt", Want: []string{"siit/7915/ace4.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (DestOpts->Frag->DestOpts) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act5", In: "siit/7915/act5.pkt", Want: []string{"siit/7915/ace5.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 66) ext header after Fragment (Routing->Frag->Routing(segleft 2)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{Name: "act6", In: "siit/7915/act6.pkt", Want: []string{"siit/7915/ace6.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 64) IPv6 nh=59 (No Next Header), empty -> IPv4 proto 59, DF=0, TTL-1 (unknown proto copied)
	{Name: "adt1", In: "siit/7915/adt1.pkt", Want: []string{"siit/7915/ade1.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 atomic Fragment(nh=59, id 0x01020408) -> IPv4 proto 59, ID=0x0408(1032), DF=0
	{Name: "adt2", In: "siit/7915/adt2.pkt", Want: []string{"siit/7915/ade2.pkt"}, Dir: "64", Script: "-"},
	// (rfc7915, 46) ICMPv4 3/3 (400B) quoting IPv4/UDP -> ICMPv6 1/4 (440B); inner hdr translated; outer TTL-1, inner TTL unchanged (7915 s4.3)
	{Name: "bat1", In: "siit/7915/bat1.pkt", Want: []string{"siit/7915/bae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 error 1500B -> ICMPv6 error truncated to 1280B, plen updated
	{Name: "bbt1", In: "siit/7915/bbt1.pkt", Want: []string{"siit/7915/bbe1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 error 1280B -> ICMPv6 error 1280B (inner truncated)
	{Name: "bct1", In: "siit/7915/bct1.pkt", Want: []string{"siit/7915/bce1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) ICMPv6 1/4 (400B) -> ICMPv4 3/3 (360B); inner IPv6->IPv4 (inner TTL unchanged, DF=0) (7915 s5.3)
	{Name: "bdt1", In: "siit/7915/bdt1.pkt", Want: []string{"siit/7915/bde1.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) ICMPv6 error 700B -> ICMPv4 error truncated to 576B
	{Name: "bet1", In: "siit/7915/bet1.pkt", Want: []string{"siit/7915/bee1.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 44) [env lowest-ipv6-mtu=1500, j v6 if mtu 1280] IPv4 DF 1261B -> ICMPv4 3/4 Frag Needed MTU 1260 from j 198.51.100.1, 576B, TTL 64, DF=0 (7915 s4.1)
	{Name: "cat1", In: "siit/7915/cat1.pkt", Want: []string{"siit/7915/cae1.pkt"}, Dir: "44", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "1,4,5,10,11", TOS: true},
	// (rfc7915, 44) as cat1, input is DF+MF fragment id 1234 -> Frag Needed MTU 1260
	{Name: "cat2", In: "siit/7915/cat2.pkt", Want: []string{"siit/7915/cae2.pkt"}, Dir: "44", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "1,4,5,10,11", TOS: true},
	// (rfc7915, 46) IPv4 DF 1260B -> IPv6 1280B, no Fragment header
	{Name: "cbt1", In: "siit/7915/cbt1.pkt", Want: []string{"siit/7915/cbe1.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "-"},
	// (rfc7915, 46) [v6 if mtu 1280] IPv4 !DF 1261B id 1234 -> 2 IPv6 fragments (1280B M=1 + 57B off 1232), Frag ID=1234 (= IPv4 ID)
	{Name: "cct1", In: "siit/7915/cct1.pkt", Want: []string{"siit/7915/cce1.pkt", "siit/7915/cce2.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "44,45,46,47"},
	// (rfc7915, 46) IPv4 !DF 1260B -> IPv6 1280B, no Fragment header (no atomic fragments)
	{Name: "cdt1", In: "siit/7915/cdt1.pkt", Want: []string{"siit/7915/cde1.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "-"},
	// (rfc7915, 46) IPv4 fragment DF+MF id 1234 1252B -> IPv6 fragment 1280B, Frag ID 1234, M=1
	{Name: "cet1", In: "siit/7915/cet1.pkt", Want: []string{"siit/7915/cee1.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "-"},
	// (rfc7915, 46) IPv4 fragment !DF MF id 1234 1252B -> same IPv6 fragment (cee1)
	{Name: "cet2", In: "siit/7915/cet2.pkt", Want: []string{"siit/7915/cee1.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "-"},
	// (rfc7915, 46) IPv4 fragment !DF MF id 4321 1268B -> refragmented: 1280B (M=1) + 64B (off 1232, M=1), Frag ID 4321
	{Name: "cft1", In: "siit/7915/cft1.pkt", Want: []string{"siit/7915/cfe1.pkt", "siit/7915/cfe2.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500, MTU6: 1280}, Script: "-"},
	// (rfc7915, 66) [j v4 if mtu 1400] IPv6 1421B -> ICMPv6 PTB MTU 1420 from j 2001:db8:1c0:2:1::, 1280B, hlim 64
	{Name: "cgt1", In: "siit/7915/cgt1.pkt", Want: []string{"siit/7915/cge1.pkt"}, Dir: "66", Env: Env{LowestMTU: 1500, MTU4: 1400}, Script: "-"},
	// (rfc7915, 66) as cgt1 with IPv6 fragment (id 1234) 1429B -> PTB MTU 1420
	{Name: "cgt2", In: "siit/7915/cgt2.pkt", Want: []string{"siit/7915/cge2.pkt"}, Dir: "66", Env: Env{LowestMTU: 1500, MTU4: 1400}, Script: "-"},
	// (rfc7915, 64) IPv6 1281B -> IPv4 1261B with DF=1 (>1260) (7915 s5)
	{Name: "cht1", In: "siit/7915/cht1.pkt", Want: []string{"siit/7915/che1.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 1280B -> IPv4 1260B with DF=0 (<=1260)
	{Name: "cit1", In: "siit/7915/cit1.pkt", Want: []string{"siit/7915/cie1.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 non-first fragment (off 80, M=1, id 0x01020408) 1287B -> IPv4 fragment ID 1032, DF=0, MF=1, off 80 (7915 s5.1.1)
	{Name: "cjt1", In: "siit/7915/cjt1.pkt", Want: []string{"siit/7915/cje1.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "-"},
	// (rfc7915, 64) as cjt1 with M=0 -> IPv4 MF=0
	{Name: "cjt2", In: "siit/7915/cjt2.pkt", Want: []string{"siit/7915/cje2.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "-"},
	// (rfc7915, 64) IPv6 fragment 1288B M=1 -> IPv4 fragment 1260B MF=1
	{Name: "cjt3", In: "siit/7915/cjt3.pkt", Want: []string{"siit/7915/cje3.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "-"},
	// (rfc7915, 64) IPv6 fragment 1288B M=0 -> IPv4 fragment 1260B MF=0
	{Name: "cjt4", In: "siit/7915/cjt4.pkt", Want: []string{"siit/7915/cje4.pkt"}, Dir: "64", Env: Env{LowestMTU: 1500}, Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280, all MTUs 1500] ck: same as cc; fragmentation driven by lowest-ipv6-mtu (7915 s4/4.1)
	{Name: "cct1-ck", In: "siit/7915/cct1.pkt", Want: []string{"siit/7915/cce1.pkt", "siit/7915/cce2.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) ICMPv6 PTB MTU 1280 quoting IPv6/TCP to EAM 2001:db8:3::60 -> ICMPv4 3/4 MTU 1260, inner dst 1.0.0.96, 576B (7915 s4/5.2)
	{Name: "dat1", In: "siit/7915/dat1.pkt", Want: []string{"siit/7915/dae1.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1261 quoting IPv4/UDP to EAM 10.0.0.96 -> ICMPv6 PTB MTU 1281, 1280B
	{Name: "dbt1", In: "siit/7915/dbt1.pkt", Want: []string{"siit/7915/dbe1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1260 -> PTB MTU 1280
	{Name: "dbt2", In: "siit/7915/dbt2.pkt", Want: []string{"siit/7915/dbe2.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1259 -> PTB MTU clamped to 1280
	{Name: "dbt3", In: "siit/7915/dbt3.pkt", Want: []string{"siit/7915/dbe2.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 44) [amend-udp-checksum-zero=0] IPv4/UDP csum 0 -> rejected: ICMPv4 3/13 from j 198.51.100.1 (7915 s4.5)
	{Name: "eat1", In: "siit/7915/eat1.pkt", Want: []string{"siit/7915/eae1.pkt"}, Dir: "44", Script: "1,4,5,10,11", TOS: true},
	// (rfc7915, 44) IPv4 UDP fragment (MF) csum 0 -> ICMPv4 3/13 regardless of amend-udp-checksum-zero
	{Name: "ect1", In: "siit/7915/ect1.pkt", Want: []string{"siit/7915/ece1.pkt"}, Dir: "44", Env: Env{AmendUDP: true}, Script: "1,4,5,10,11", TOS: true},
	// (rfc7915, 44) IPv4 UDP fragment (MF) csum 0 -> ICMPv4 3/13 regardless of amend-udp-checksum-zero
	{Name: "ect1-2", In: "siit/7915/ect1.pkt", Want: []string{"siit/7915/ece1.pkt"}, Dir: "44", Script: "1,4,5,10,11", TOS: true},
	// (rfc7915, 46) IPv4 proto 33 (DCCP) -> IPv6 nh 33, L4 bytes copied untouched (no csum update) (7915 s4.5)
	{Name: "fat1", In: "siit/7915/fat1.pkt", Want: []string{"siit/7915/fae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) IPv6 nh 33 -> IPv4 proto 33, L4 bytes untouched
	{Name: "fbt1", In: "siit/7915/fbt1.pkt", Want: []string{"siit/7915/fbe1.pkt"}, Dir: "64", Script: "4,5,10,11"},
	// (rfc7915, 66) Hairpin: 2001:db8:3::8 (EAM) -> 2001:db8:101:0:9:: (pool6 1.0.0.9) comes back as 2001:db8:101:0:8:: -> 2001:db8:3::9, hlim-1 once (eam-hairpin-mode intrinsic, RFC 7757)
	{Name: "gat1", Hairpin: true, In: "siit/7915/gat1.pkt", Want: []string{"siit/7915/gae1.pkt"}, Dir: "66", Script: "-"},
	// (rfc7915, 46) ICMPv4 error with src 127.0.0.1 is translated (not dropped): src -> 2001:db8:17f:0:1::
	{Name: "hat1", In: "siit/7915/hat1.pkt", Want: []string{"siit/7915/hae1.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 error with src 0.0.0.0 -> src 2001:db8:100::
	{Name: "hat2", In: "siit/7915/hat2.pkt", Want: []string{"siit/7915/hae2.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) ICMPv6 1/4 with RFC 4884 ext (len 19) -> ICMPv4 3/3 len 33; ext copied opaque; inner csum updated incrementally
	{Name: "ia1t", In: "siit/7915/ia1t.pkt", Want: []string{"siit/7915/ia1e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 46) ICMPv4 3/3 with RFC 4884 ext (len 33) -> ICMPv6 1/4 len 19
	{Name: "ia2t", In: "siit/7915/ia2t.pkt", Want: []string{"siit/7915/ia2e.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) ICMPv6 ext, padded OP (len 16) -> ICMPv4 len 32, padding re-computed for 4-byte units
	{Name: "ib1t", In: "siit/7915/ib1t.pkt", Want: []string{"siit/7915/ib1e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 46) ICMPv4 ext, padded (len 32) -> ICMPv6 len 18, 8-byte-unit padding
	{Name: "ib2t", In: "siit/7915/ib2t.pkt", Want: []string{"siit/7915/ib2e.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) ICMPv4 ext, OP not multiple of 8, no padding -> ICMPv6 len 18 with padding
	{Name: "ib3t", In: "siit/7915/ib3t.pkt", Want: []string{"siit/7915/ib3e.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 64) 6->4 ext: OP barely fits -> ICMPv4 576B, OP and ext intact (len 127)
	{Name: "ic1t", In: "siit/7915/ic1t.pkt", Want: []string{"siit/7915/ic1e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: OP truncated to fit 576B, ext intact
	{Name: "ic2t", In: "siit/7915/ic2t.pkt", Want: []string{"siit/7915/ic2e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: OP heavily truncated, ext intact, 576B
	{Name: "ic3t", In: "siit/7915/ic3t.pkt", Want: []string{"siit/7915/ic3e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: ext (420B) barely fits, 576B
	{Name: "ic4t", In: "siit/7915/ic4t.pkt", Want: []string{"siit/7915/ic4e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: ext (421B) does not fit -> ext removed, ICMP len 0
	{Name: "ic5t", In: "siit/7915/ic5t.pkt", Want: []string{"siit/7915/ic5e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: OP and ext too large -> OP truncated, ext removed, 576B
	{Name: "ic6t", In: "siit/7915/ic6t.pkt", Want: []string{"siit/7915/ic6e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 64) 6->4 ext: invalidly small OP (len 6) -> padded to 128B OP, ext kept (issue #396)
	{Name: "ic7t", In: "siit/7915/ic7t.pkt", Want: []string{"siit/7915/ic7e.pkt"}, Dir: "64", Script: "4,5,10,11,32,33,38,39", ICMPCsum: true},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: small OP+ext, no truncation
	{Name: "idat", In: "siit/7915/idat.pkt", Want: []string{"siit/7915/idae.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: medium OP+ext, exactly 1280B
	{Name: "idbt", In: "siit/7915/idbt.pkt", Want: []string{"siit/7915/idbe.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: large OP, small ext, 1280B
	{Name: "idct", In: "siit/7915/idct.pkt", Want: []string{"siit/7915/idce.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: small OP, large ext, 1280B
	{Name: "iddt", In: "siit/7915/iddt.pkt", Want: []string{"siit/7915/idde.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: OP truncated (OP~ext), 1280B
	{Name: "idet", In: "siit/7915/idet.pkt", Want: []string{"siit/7915/idee.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: minimal OP truncation, 1280B
	{Name: "idft", In: "siit/7915/idft.pkt", Want: []string{"siit/7915/idfe.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: ext (1105B) too large -> removed, OP intact
	{Name: "idht", In: "siit/7915/idht.pkt", Want: []string{"siit/7915/idhe.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: invalidly small OP (len 7) -> padded to 128B, ext kept (issue #396)
	{Name: "idkt", In: "siit/7915/idkt.pkt", Want: []string{"siit/7915/idke.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: legacy: minimal OP truncation, 1280B
	{Name: "idzt", In: "siit/7915/idzt.pkt", Want: []string{"siit/7915/idze.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] maximal OP truncation (to 128B) with 1104B ext, 1280B
	{Name: "idgt", In: "siit/7915/idgt.pkt", Want: []string{"siit/7915/idge.pkt"}, Dir: "46", Env: Env{MTU4: 2153}, Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] large OP + too-large ext -> ext removed
	{Name: "idit", In: "siit/7915/idit.pkt", Want: []string{"siit/7915/idie.pkt"}, Dir: "46", Env: Env{MTU4: 2153}, Script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] legacy: large OP truncation, 1280B
	{Name: "idyt", In: "siit/7915/idyt.pkt", Want: []string{"siit/7915/idye.pkt"}, Dir: "46", Env: Env{MTU4: 2153}, Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1500] ICMPv4 error 1261B -> ICMPv6 error still capped at 1280B
	{Name: "jat", In: "siit/7915/jat.pkt", Want: []string{"siit/7915/jae.pkt"}, Dir: "46", Env: Env{LowestMTU: 1500}, Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280] IPv4 !DF UDP 1261B -> IPv6 fragments 1280B + 57B
	{Name: "jbat", In: "siit/7915/jbat.pkt", Want: []string{"siit/7915/jbae1.pkt", "siit/7915/jbae2.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280] IPv4 DF UDP 1261B -> unfragmented IPv6 1281B
	{Name: "jbbt", In: "siit/7915/jbbt.pkt", Want: []string{"siit/7915/jbbe.pkt"}, Dir: "46", Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1402] IPv4 !DF UDP 1383B -> fragments 1400B + 59B (8-byte aligned)
	{Name: "jcat", In: "siit/7915/jcat.pkt", Want: []string{"siit/7915/jcae1.pkt", "siit/7915/jcae2.pkt"}, Dir: "46", Env: Env{LowestMTU: 1402}, Script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1402] IPv4 DF UDP 1383B -> unfragmented 1403B
	{Name: "jcbt", In: "siit/7915/jcbt.pkt", Want: []string{"siit/7915/jcbe.pkt"}, Dir: "46", Env: Env{LowestMTU: 1402}, Script: "-"},

	// INDEX.md section 4: SIIT pktgen 4-tcp-* senders vs 6-tcp-* receivers
	// (no tcp46 group in Jool's test.sh).
	{Name: "4-tcp-csumok-df-nofrag", In: "siit/pktgen/sender/4-tcp-csumok-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumok-df-nofrag.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumok-nodf-nofrag", In: "siit/pktgen/sender/4-tcp-csumok-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-nofrag.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumok-nodf-frag0", In: "siit/pktgen/sender/4-tcp-csumok-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag0.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumok-nodf-frag1", In: "siit/pktgen/sender/4-tcp-csumok-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag1.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumok-nodf-frag2", In: "siit/pktgen/sender/4-tcp-csumok-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag2.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumfail-df-nofrag", In: "siit/pktgen/sender/4-tcp-csumfail-df-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumfail-df-nofrag.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumfail-nodf-nofrag", In: "siit/pktgen/sender/4-tcp-csumfail-nodf-nofrag.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-nofrag.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumfail-nodf-frag0", In: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag0.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag0.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumfail-nodf-frag1", In: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag1.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag1.pkt"}, Dir: "46", Script: "-", Extra: true},
	{Name: "4-tcp-csumfail-nodf-frag2", In: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag2.pkt", Want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag2.pkt"}, Dir: "46", Script: "-", Extra: true},
}

// Deviations lists rows xlatd deliberately does not match, with the RFC
// sentence that justifies the difference (kept in step with the deviations
// table of batch/graybox_test.go).
var Deviations = map[string]string{
	// xlatd fragments the IPv4 translation of an IPv6 fragment that exceeds
	// the IPv4 MTU (DF is clear) where Jool answers Packet Too Big.
	"cgt2": `RFC 7915 section 5.1.1: "The IPv4 Don't Fragment (DF) flag is cleared (set to zero), ` +
		`allowing this packet to be further fragmented by IPv4 routers."; section 1.4: "the translator ` +
		`MUST send a Packet Too Big error message or fragment the packet when the packet size exceeds ` +
		`the MTU of the next-hop interface."`,
}

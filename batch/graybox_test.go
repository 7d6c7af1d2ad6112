package batch_test

// TestGraybox replays the SIIT exchanges of Jool's graybox test suite
// (INDEX.md section 5 of the corpus, 124 rows, in order) in-process through
// batch.Translate, plus the usable-but-unused pktgen TCP 4->6 data of
// section 4. Every input packet is wrapped in an Ethernet header at
// batch.Headroom of a 4096-byte buffer; every output IP packet is compared
// with the expected file under Jool's own equality rules (INDEX.md section 2):
//
//   - lengths must be equal, and the bytes, except at exempt offsets;
//   - the zero-ID rule: where the expected IPv4 Identification (outer, or of
//     the IPv4 packet inside a translated 6->4 ICMPv4 error) is 0, the actual
//     one is not compared, and the actual IPv4 header checksum must instead
//     be valid;
//   - in 6->4 ICMP-error rows whose inner ID is translator-chosen, the
//     ICMPv4 checksum (which covers that ID) is verified by recomputation;
//   - IPv4 TOS (offset 1) is exempt only in the rows whose Jool script
//     excepts it (errors Jool's kernel originates with TOS 0xc0).
//
// Run a direction with -run TestGraybox/in4 or -run TestGraybox/in6.
// XLATD_GRAYBOX_STATUS=<file> writes a one-line-per-row status summary.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
)

// deviations lists rows deliberately not matched: row name -> the RFC
// sentence that justifies xlatd's different output. A row listed here is
// still translated and its outputs checked for validity, but not compared
// byte for byte.
var deviations = map[string]string{
	// Added by helper 6to4: xlatd fragments the IPv4 translation of an
	// IPv6 fragment that exceeds the IPv4 MTU (DF is clear) where Jool
	// answers Packet Too Big (and silently drops non-first fragments).
	"cgt2": `RFC 7915 section 5.1.1: "The IPv4 Don't Fragment (DF) flag is cleared (set to zero), ` +
		`allowing this packet to be further fragmented by IPv4 routers."; section 1.4: "the translator ` +
		`MUST send a Packet Too Big error message or fragment the packet when the packet size exceeds ` +
		`the MTU of the next-hop interface."`,
}

// grayRow is one send/expect exchange.
type grayRow struct {
	name     string   // INDEX.md name; repeated names get a -2 suffix
	in       string   // input file, relative to the corpus
	want     []string // expected files, in arrival order
	dir      string   // INDEX.md direction: 64, 46, 66 (back to IPv6 sender), 44
	hairpin  bool     // 66 row answered by hairpinning: verdict To6, not Back
	env      grayEnv  // deviations from the baseline configuration
	script   string   // exceptions passed by Jool's test.sh (documentation)
	tos      bool     // offset 1 (IPv4 TOS) exempt
	icmpCsum bool     // 22,23: ICMPv4 checksum covers a translator-chosen inner ID: verify
	extra    bool     // not in Jool's test.sh (INDEX.md section 4)
}

// grayRows is INDEX.md section 5 (SIIT), in execution order, followed by
// the section 4 extras. Descriptions are INDEX.md's.
var grayRows = []grayRow{
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{name: "6-udp-csumok-df-nofrag", in: "siit/pktgen/sender/6-udp-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumok-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-udp-csumok-nodf-nofrag", in: "siit/pktgen/sender/6-udp-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-udp-csumok-nodf-frag0", in: "siit/pktgen/sender/6-udp-csumok-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag0.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-udp-csumok-nodf-frag1", in: "siit/pktgen/sender/6-udp-csumok-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag1.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-udp-csumok-nodf-frag2", in: "siit/pktgen/sender/6-udp-csumok-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumok-nodf-frag2.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{name: "6-udp-csumfail-df-nofrag", in: "siit/pktgen/sender/6-udp-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumfail-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (udp64, 64) UDP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-udp-csumfail-nodf-nofrag", in: "siit/pktgen/sender/6-udp-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-udp-csumfail-nodf-frag0", in: "siit/pktgen/sender/6-udp-csumfail-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag0.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-udp-csumfail-nodf-frag1", in: "siit/pktgen/sender/6-udp-csumfail-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag1.pkt"}, dir: "64", script: "-"},
	// (udp64, 64) UDP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-udp-csumfail-nodf-frag2", in: "siit/pktgen/sender/6-udp-csumfail-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/4-udp-csumfail-nodf-frag2.pkt"}, dir: "64", script: "-"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{name: "4-udp-csumok-df-nofrag", in: "siit/pktgen/sender/4-udp-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumok-df-nofrag.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{name: "4-udp-csumok-nodf-nofrag", in: "siit/pktgen/sender/4-udp-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-nofrag.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag0 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{name: "4-udp-csumok-nodf-frag0", in: "siit/pktgen/sender/4-udp-csumok-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag0.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag1 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{name: "4-udp-csumok-nodf-frag1", in: "siit/pktgen/sender/4-udp-csumok-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag1.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag2 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; L4 csum recomputed/updated
	{name: "4-udp-csumok-nodf-frag2", in: "siit/pktgen/sender/4-udp-csumok-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumok-nodf-frag2.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{name: "4-udp-csumfail-df-nofrag", in: "siit/pktgen/sender/4-udp-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumfail-df-nofrag.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{name: "4-udp-csumfail-nodf-nofrag", in: "siit/pktgen/sender/4-udp-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-nofrag.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag0 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{name: "4-udp-csumfail-nodf-frag0", in: "siit/pktgen/sender/4-udp-csumfail-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag0.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag1 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{name: "4-udp-csumfail-nodf-frag1", in: "siit/pktgen/sender/4-udp-csumfail-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag1.pkt"}, dir: "46", script: "-"},
	// (udp46, 46) UDP !DF frag2 of 3 (id 0x1234) -> IPv6; IPv6 fragment, Frag ID 0x1234; bad L4 csum stays equally bad (incremental update)
	{name: "4-udp-csumfail-nodf-frag2", in: "siit/pktgen/sender/4-udp-csumfail-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/6-udp-csumfail-nodf-frag2.pkt"}, dir: "46", script: "-"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{name: "6-tcp-csumok-df-nofrag", in: "siit/pktgen/sender/6-tcp-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumok-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-tcp-csumok-nodf-nofrag", in: "siit/pktgen/sender/6-tcp-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-tcp-csumok-nodf-frag0", in: "siit/pktgen/sender/6-tcp-csumok-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag0.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-tcp-csumok-nodf-frag1", in: "siit/pktgen/sender/6-tcp-csumok-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag1.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-tcp-csumok-nodf-frag2", in: "siit/pktgen/sender/6-tcp-csumok-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumok-nodf-frag2.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{name: "6-tcp-csumfail-df-nofrag", in: "siit/pktgen/sender/6-tcp-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumfail-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (tcp64, 64) TCP atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-tcp-csumfail-nodf-nofrag", in: "siit/pktgen/sender/6-tcp-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag0 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-tcp-csumfail-nodf-frag0", in: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag0.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag1 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-tcp-csumfail-nodf-frag1", in: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag1.pkt"}, dir: "64", script: "-"},
	// (tcp64, 64) TCP frag2 of 3 (Frag id 0x87654321) -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-tcp-csumfail-nodf-frag2", in: "siit/pktgen/sender/6-tcp-csumfail-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/4-tcp-csumfail-nodf-frag2.pkt"}, dir: "64", script: "-"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; L4 csum recomputed/updated
	{name: "6-icmp6info-csumok-df-nofrag", in: "siit/pktgen/sender/6-icmp6info-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4info-csumok-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); L4 csum recomputed/updated
	{name: "6-icmp6info-csumok-nodf-nofrag", in: "siit/pktgen/sender/6-icmp6info-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4info-csumok-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (icmpi64, 64) ICMPv6 echo no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; bad L4 csum stays equally bad (incremental update)
	{name: "6-icmp6info-csumfail-df-nofrag", in: "siit/pktgen/sender/6-icmp6info-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4info-csumfail-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11"},
	// (icmpi64, 64) ICMPv6 echo atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); bad L4 csum stays equally bad (incremental update)
	{name: "6-icmp6info-csumfail-nodf-nofrag", in: "siit/pktgen/sender/6-icmp6info-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4info-csumfail-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{name: "4-icmp4info-csumok-df-nofrag", in: "siit/pktgen/sender/4-icmp4info-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6info-csumok-df-nofrag.pkt"}, dir: "46", script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; L4 csum recomputed/updated
	{name: "4-icmp4info-csumok-nodf-nofrag", in: "siit/pktgen/sender/4-icmp4info-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6info-csumok-nodf-nofrag.pkt"}, dir: "46", script: "-"},
	// (icmpi46, 46) ICMPv4 echo DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{name: "4-icmp4info-csumfail-df-nofrag", in: "siit/pktgen/sender/4-icmp4info-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6info-csumfail-df-nofrag.pkt"}, dir: "46", script: "-"},
	// (icmpi46, 46) ICMPv4 echo !DF unfragmented -> IPv6; IPv6 without Frag hdr; bad L4 csum stays equally bad (incremental update)
	{name: "4-icmp4info-csumfail-nodf-nofrag", in: "siit/pktgen/sender/4-icmp4info-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6info-csumfail-nodf-nofrag.pkt"}, dir: "46", script: "-"},
	// (icmpe64, 64) ICMPv6 error no Frag hdr -> IPv4; IPv4 DF=1 (len>1260), random ID; inner pkt translated, truncated to 576B
	{name: "6-icmp6err-csumok-df-nofrag", in: "siit/pktgen/sender/6-icmp6err-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4err-csumok-df-nofrag.pkt"}, dir: "64", script: "4,5,10,11,22,23,32,33,34,38,39", icmpCsum: true},
	// (icmpe64, 64) ICMPv6 error atomic Frag hdr id 0x87654321 -> IPv4; IPv4 DF=0, ID=0x4321 (low 16 bits); inner pkt translated, truncated to 576B
	{name: "6-icmp6err-csumok-nodf-nofrag", in: "siit/pktgen/sender/6-icmp6err-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/4-icmp4err-csumok-nodf-nofrag.pkt"}, dir: "64", script: "-"},
	// (icmpe46, 46) ICMPv4 error DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{name: "4-icmp4err-csumok-df-nofrag", in: "siit/pktgen/sender/4-icmp4err-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6err-csumok-df-nofrag.pkt"}, dir: "46", script: "-"},
	// (icmpe46, 46) ICMPv4 error !DF unfragmented -> IPv6; IPv6 without Frag hdr; inner pkt translated, truncated to 1280B
	{name: "4-icmp4err-csumok-nodf-nofrag", in: "siit/pktgen/sender/4-icmp4err-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-icmp6err-csumok-nodf-nofrag.pkt"}, dir: "46", script: "-"},
	// (misc, 64) ICMPv6 error from untranslatable 4000::1 -> ICMPv4 error src = rfc6791v4-prefix 203.0.113.8
	{name: "6791v64t", in: "siit/manual/6791v64t.pkt", want: []string{"siit/manual/6791v64e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (misc, 66) ICMPv6 error + hairpin + rfc6791v4: out src 2001:db8:1cb:71:8:: (pool6 of 203.0.113.8) -> 2001:db8:3::1
	{name: "6791v66t", hairpin: true, in: "siit/manual/6791v66t.pkt", want: []string{"siit/manual/6791v66e.pkt"}, dir: "66", script: "-"},
	// (misc, 64) [rfc6791v4-prefix=null] ICMPv6 error from untranslatable 4000::1 -> ICMPv4 error src = j own IPv4 198.51.100.1
	{name: "6791v64t-2", in: "siit/manual/6791v64t.pkt", want: []string{"siit/manual/6791v64e-empty.pkt"}, dir: "64", env: grayEnv{no6791v4: true}, script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (misc, 46) [pool6=null, rfc6791v6-prefix=null, 2 extra EAMs] ICMPv4 error from untranslatable 2.0.0.2 -> ICMPv6 src = j own IPv6 2001:db8:1c0:2:1::
	{name: "6791v46t", in: "siit/manual/6791v46t.pkt", want: []string{"siit/manual/6791v46e-empty.pkt"}, dir: "46", env: grayEnv{pool6Null: true}, script: "-"},
	// (misc, 46) [pool6=null, rfc6791v6-prefix=2::2, 2 extra EAMs] ICMPv4 error from untranslatable 2.0.0.2 -> ICMPv6 src 2::2
	{name: "6791v46t-2", in: "siit/manual/6791v46t.pkt", want: []string{"siit/manual/6791v46e.pkt"}, dir: "46", env: grayEnv{pool6Null: true, rfc6791v6: "2::2/128"}, script: "-"},
	// (rfc7915, 46) IPv4/UDP (no options) -> IPv6/UDP; addrs via pool6 /40, TTL-1
	{name: "aat1", in: "siit/7915/aat1.pkt", want: []string{"siit/7915/aae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) IPv4 options set A (Security, LSRR, SSRR, StreamID, EOL, NOP) are NOT translated -> plain IPv6 (7915 s1.2)
	{name: "aat2", in: "siit/7915/aat2.pkt", want: []string{"siit/7915/aae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) IPv4 options set B (Record Route, Timestamp) are NOT translated -> plain IPv6
	{name: "aat3", in: "siit/7915/aat3.pkt", want: []string{"siit/7915/aae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) plain IPv6/UDP -> IPv4/UDP, DF=0 (len<=1260), random ID
	{name: "abt1", in: "siit/7915/abt1.pkt", want: []string{"siit/7915/abe1.pkt"}, dir: "64", script: "4,5,10,11"},
	// (rfc7915, 64) HbH+DestOpts+Routing(segleft 0) before UDP are dropped -> plain IPv4 (7915 s1.2/5.1)
	{name: "abt2", in: "siit/7915/abt2.pkt", want: []string{"siit/7915/abe1.pkt"}, dir: "64", script: "4,5,10,11"},
	// (rfc7915, 64) same SEHs + Fragment(M=1,id 0x01020304) -> IPv4 fragment MF=1, ID=0x0304(772), DF=0
	{name: "abt3", in: "siit/7915/abt3.pkt", want: []string{"siit/7915/abe2.pkt"}, dir: "64", script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->DestOpts(PadN)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act1", in: "siit/7915/act1.pkt", want: []string{"siit/7915/ace1.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->DestOpts(Pad1s)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act2", in: "siit/7915/act2.pkt", want: []string{"siit/7915/ace2.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 66) ext header after Fragment (Frag->Routing) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act3", in: "siit/7915/act3.pkt", want: []string{"siit/7915/ace3.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 66) ext header after Fragment (HbH->Frag->HbH) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act4", in: "siit/7915/act4.pkt", want: []string{"siit/7915/ace4.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 66) ext header after Fragment (DestOpts->Frag->DestOpts) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act5", in: "siit/7915/act5.pkt", want: []string{"siit/7915/ace5.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 66) ext header after Fragment (Routing->Frag->Routing(segleft 2)) -> rejected: ICMPv6 1/1 from j 2001:db8:1c0:2:1:: to sender, hlim 64, quotes whole packet (7915 s5.1/5.4)
	{name: "act6", in: "siit/7915/act6.pkt", want: []string{"siit/7915/ace6.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 64) IPv6 nh=59 (No Next Header), empty -> IPv4 proto 59, DF=0, TTL-1 (unknown proto copied)
	{name: "adt1", in: "siit/7915/adt1.pkt", want: []string{"siit/7915/ade1.pkt"}, dir: "64", script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 atomic Fragment(nh=59, id 0x01020408) -> IPv4 proto 59, ID=0x0408(1032), DF=0
	{name: "adt2", in: "siit/7915/adt2.pkt", want: []string{"siit/7915/ade2.pkt"}, dir: "64", script: "-"},
	// (rfc7915, 46) ICMPv4 3/3 (400B) quoting IPv4/UDP -> ICMPv6 1/4 (440B); inner hdr translated; outer TTL-1, inner TTL unchanged (7915 s4.3)
	{name: "bat1", in: "siit/7915/bat1.pkt", want: []string{"siit/7915/bae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 error 1500B -> ICMPv6 error truncated to 1280B, plen updated
	{name: "bbt1", in: "siit/7915/bbt1.pkt", want: []string{"siit/7915/bbe1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 error 1280B -> ICMPv6 error 1280B (inner truncated)
	{name: "bct1", in: "siit/7915/bct1.pkt", want: []string{"siit/7915/bce1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) ICMPv6 1/4 (400B) -> ICMPv4 3/3 (360B); inner IPv6->IPv4 (inner TTL unchanged, DF=0) (7915 s5.3)
	{name: "bdt1", in: "siit/7915/bdt1.pkt", want: []string{"siit/7915/bde1.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) ICMPv6 error 700B -> ICMPv4 error truncated to 576B
	{name: "bet1", in: "siit/7915/bet1.pkt", want: []string{"siit/7915/bee1.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 44) [env lowest-ipv6-mtu=1500, j v6 if mtu 1280] IPv4 DF 1261B -> ICMPv4 3/4 Frag Needed MTU 1260 from j 198.51.100.1, 576B, TTL 64, DF=0 (7915 s4.1)
	{name: "cat1", in: "siit/7915/cat1.pkt", want: []string{"siit/7915/cae1.pkt"}, dir: "44", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "1,4,5,10,11", tos: true},
	// (rfc7915, 44) as cat1, input is DF+MF fragment id 1234 -> Frag Needed MTU 1260
	{name: "cat2", in: "siit/7915/cat2.pkt", want: []string{"siit/7915/cae2.pkt"}, dir: "44", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "1,4,5,10,11", tos: true},
	// (rfc7915, 46) IPv4 DF 1260B -> IPv6 1280B, no Fragment header
	{name: "cbt1", in: "siit/7915/cbt1.pkt", want: []string{"siit/7915/cbe1.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "-"},
	// (rfc7915, 46) [v6 if mtu 1280] IPv4 !DF 1261B id 1234 -> 2 IPv6 fragments (1280B M=1 + 57B off 1232), Frag ID=1234 (= IPv4 ID)
	{name: "cct1", in: "siit/7915/cct1.pkt", want: []string{"siit/7915/cce1.pkt", "siit/7915/cce2.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "44,45,46,47"},
	// (rfc7915, 46) IPv4 !DF 1260B -> IPv6 1280B, no Fragment header (no atomic fragments)
	{name: "cdt1", in: "siit/7915/cdt1.pkt", want: []string{"siit/7915/cde1.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "-"},
	// (rfc7915, 46) IPv4 fragment DF+MF id 1234 1252B -> IPv6 fragment 1280B, Frag ID 1234, M=1
	{name: "cet1", in: "siit/7915/cet1.pkt", want: []string{"siit/7915/cee1.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "-"},
	// (rfc7915, 46) IPv4 fragment !DF MF id 1234 1252B -> same IPv6 fragment (cee1)
	{name: "cet2", in: "siit/7915/cet2.pkt", want: []string{"siit/7915/cee1.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "-"},
	// (rfc7915, 46) IPv4 fragment !DF MF id 4321 1268B -> refragmented: 1280B (M=1) + 64B (off 1232, M=1), Frag ID 4321
	{name: "cft1", in: "siit/7915/cft1.pkt", want: []string{"siit/7915/cfe1.pkt", "siit/7915/cfe2.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500, mtu6: 1280}, script: "-"},
	// (rfc7915, 66) [j v4 if mtu 1400] IPv6 1421B -> ICMPv6 PTB MTU 1420 from j 2001:db8:1c0:2:1::, 1280B, hlim 64
	{name: "cgt1", in: "siit/7915/cgt1.pkt", want: []string{"siit/7915/cge1.pkt"}, dir: "66", env: grayEnv{lowestMTU: 1500, mtu4: 1400}, script: "-"},
	// (rfc7915, 66) as cgt1 with IPv6 fragment (id 1234) 1429B -> PTB MTU 1420
	{name: "cgt2", in: "siit/7915/cgt2.pkt", want: []string{"siit/7915/cge2.pkt"}, dir: "66", env: grayEnv{lowestMTU: 1500, mtu4: 1400}, script: "-"},
	// (rfc7915, 64) IPv6 1281B -> IPv4 1261B with DF=1 (>1260) (7915 s5)
	{name: "cht1", in: "siit/7915/cht1.pkt", want: []string{"siit/7915/che1.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 1280B -> IPv4 1260B with DF=0 (<=1260)
	{name: "cit1", in: "siit/7915/cit1.pkt", want: []string{"siit/7915/cie1.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "4,5,10,11"},
	// (rfc7915, 64) IPv6 non-first fragment (off 80, M=1, id 0x01020408) 1287B -> IPv4 fragment ID 1032, DF=0, MF=1, off 80 (7915 s5.1.1)
	{name: "cjt1", in: "siit/7915/cjt1.pkt", want: []string{"siit/7915/cje1.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "-"},
	// (rfc7915, 64) as cjt1 with M=0 -> IPv4 MF=0
	{name: "cjt2", in: "siit/7915/cjt2.pkt", want: []string{"siit/7915/cje2.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "-"},
	// (rfc7915, 64) IPv6 fragment 1288B M=1 -> IPv4 fragment 1260B MF=1
	{name: "cjt3", in: "siit/7915/cjt3.pkt", want: []string{"siit/7915/cje3.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "-"},
	// (rfc7915, 64) IPv6 fragment 1288B M=0 -> IPv4 fragment 1260B MF=0
	{name: "cjt4", in: "siit/7915/cjt4.pkt", want: []string{"siit/7915/cje4.pkt"}, dir: "64", env: grayEnv{lowestMTU: 1500}, script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280, all MTUs 1500] ck: same as cc; fragmentation driven by lowest-ipv6-mtu (7915 s4/4.1)
	{name: "cct1-ck", in: "siit/7915/cct1.pkt", want: []string{"siit/7915/cce1.pkt", "siit/7915/cce2.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) ICMPv6 PTB MTU 1280 quoting IPv6/TCP to EAM 2001:db8:3::60 -> ICMPv4 3/4 MTU 1260, inner dst 1.0.0.96, 576B (7915 s4/5.2)
	{name: "dat1", in: "siit/7915/dat1.pkt", want: []string{"siit/7915/dae1.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1261 quoting IPv4/UDP to EAM 10.0.0.96 -> ICMPv6 PTB MTU 1281, 1280B
	{name: "dbt1", in: "siit/7915/dbt1.pkt", want: []string{"siit/7915/dbe1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1260 -> PTB MTU 1280
	{name: "dbt2", in: "siit/7915/dbt2.pkt", want: []string{"siit/7915/dbe2.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 3/4 MTU 1259 -> PTB MTU clamped to 1280
	{name: "dbt3", in: "siit/7915/dbt3.pkt", want: []string{"siit/7915/dbe2.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 44) [amend-udp-checksum-zero=0] IPv4/UDP csum 0 -> rejected: ICMPv4 3/13 from j 198.51.100.1 (7915 s4.5)
	{name: "eat1", in: "siit/7915/eat1.pkt", want: []string{"siit/7915/eae1.pkt"}, dir: "44", script: "1,4,5,10,11", tos: true},
	// (rfc7915, 44) IPv4 UDP fragment (MF) csum 0 -> ICMPv4 3/13 regardless of amend-udp-checksum-zero
	{name: "ect1", in: "siit/7915/ect1.pkt", want: []string{"siit/7915/ece1.pkt"}, dir: "44", env: grayEnv{amendUDP: true}, script: "1,4,5,10,11", tos: true},
	// (rfc7915, 44) IPv4 UDP fragment (MF) csum 0 -> ICMPv4 3/13 regardless of amend-udp-checksum-zero
	{name: "ect1-2", in: "siit/7915/ect1.pkt", want: []string{"siit/7915/ece1.pkt"}, dir: "44", script: "1,4,5,10,11", tos: true},
	// (rfc7915, 46) IPv4 proto 33 (DCCP) -> IPv6 nh 33, L4 bytes copied untouched (no csum update) (7915 s4.5)
	{name: "fat1", in: "siit/7915/fat1.pkt", want: []string{"siit/7915/fae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) IPv6 nh 33 -> IPv4 proto 33, L4 bytes untouched
	{name: "fbt1", in: "siit/7915/fbt1.pkt", want: []string{"siit/7915/fbe1.pkt"}, dir: "64", script: "4,5,10,11"},
	// (rfc7915, 66) hairpin: 2001:db8:3::8 (EAM) -> 2001:db8:101:0:9:: (pool6 1.0.0.9) comes back as 2001:db8:101:0:8:: -> 2001:db8:3::9, hlim-1 once (eam-hairpin-mode intrinsic, RFC 7757)
	{name: "gat1", hairpin: true, in: "siit/7915/gat1.pkt", want: []string{"siit/7915/gae1.pkt"}, dir: "66", script: "-"},
	// (rfc7915, 46) ICMPv4 error with src 127.0.0.1 is translated (not dropped): src -> 2001:db8:17f:0:1::
	{name: "hat1", in: "siit/7915/hat1.pkt", want: []string{"siit/7915/hae1.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 error with src 0.0.0.0 -> src 2001:db8:100::
	{name: "hat2", in: "siit/7915/hat2.pkt", want: []string{"siit/7915/hae2.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) ICMPv6 1/4 with RFC 4884 ext (len 19) -> ICMPv4 3/3 len 33; ext copied opaque; inner csum updated incrementally
	{name: "ia1t", in: "siit/7915/ia1t.pkt", want: []string{"siit/7915/ia1e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 46) ICMPv4 3/3 with RFC 4884 ext (len 33) -> ICMPv6 1/4 len 19
	{name: "ia2t", in: "siit/7915/ia2t.pkt", want: []string{"siit/7915/ia2e.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) ICMPv6 ext, padded OP (len 16) -> ICMPv4 len 32, padding re-computed for 4-byte units
	{name: "ib1t", in: "siit/7915/ib1t.pkt", want: []string{"siit/7915/ib1e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 46) ICMPv4 ext, padded (len 32) -> ICMPv6 len 18, 8-byte-unit padding
	{name: "ib2t", in: "siit/7915/ib2t.pkt", want: []string{"siit/7915/ib2e.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) ICMPv4 ext, OP not multiple of 8, no padding -> ICMPv6 len 18 with padding
	{name: "ib3t", in: "siit/7915/ib3t.pkt", want: []string{"siit/7915/ib3e.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 64) 6->4 ext: OP barely fits -> ICMPv4 576B, OP and ext intact (len 127)
	{name: "ic1t", in: "siit/7915/ic1t.pkt", want: []string{"siit/7915/ic1e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: OP truncated to fit 576B, ext intact
	{name: "ic2t", in: "siit/7915/ic2t.pkt", want: []string{"siit/7915/ic2e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: OP heavily truncated, ext intact, 576B
	{name: "ic3t", in: "siit/7915/ic3t.pkt", want: []string{"siit/7915/ic3e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: ext (420B) barely fits, 576B
	{name: "ic4t", in: "siit/7915/ic4t.pkt", want: []string{"siit/7915/ic4e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: ext (421B) does not fit -> ext removed, ICMP len 0
	{name: "ic5t", in: "siit/7915/ic5t.pkt", want: []string{"siit/7915/ic5e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: OP and ext too large -> OP truncated, ext removed, 576B
	{name: "ic6t", in: "siit/7915/ic6t.pkt", want: []string{"siit/7915/ic6e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 64) 6->4 ext: invalidly small OP (len 6) -> padded to 128B OP, ext kept (issue #396)
	{name: "ic7t", in: "siit/7915/ic7t.pkt", want: []string{"siit/7915/ic7e.pkt"}, dir: "64", script: "4,5,10,11,32,33,38,39", icmpCsum: true},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: small OP+ext, no truncation
	{name: "idat", in: "siit/7915/idat.pkt", want: []string{"siit/7915/idae.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: medium OP+ext, exactly 1280B
	{name: "idbt", in: "siit/7915/idbt.pkt", want: []string{"siit/7915/idbe.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: large OP, small ext, 1280B
	{name: "idct", in: "siit/7915/idct.pkt", want: []string{"siit/7915/idce.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: small OP, large ext, 1280B
	{name: "iddt", in: "siit/7915/iddt.pkt", want: []string{"siit/7915/idde.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: OP truncated (OP~ext), 1280B
	{name: "idet", in: "siit/7915/idet.pkt", want: []string{"siit/7915/idee.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: minimal OP truncation, 1280B
	{name: "idft", in: "siit/7915/idft.pkt", want: []string{"siit/7915/idfe.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: ext (1105B) too large -> removed, OP intact
	{name: "idht", in: "siit/7915/idht.pkt", want: []string{"siit/7915/idhe.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: invalidly small OP (len 7) -> padded to 128B, ext kept (issue #396)
	{name: "idkt", in: "siit/7915/idkt.pkt", want: []string{"siit/7915/idke.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: legacy: minimal OP truncation, 1280B
	{name: "idzt", in: "siit/7915/idzt.pkt", want: []string{"siit/7915/idze.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] maximal OP truncation (to 128B) with 1104B ext, 1280B
	{name: "idgt", in: "siit/7915/idgt.pkt", want: []string{"siit/7915/idge.pkt"}, dir: "46", env: grayEnv{mtu4: 2153}, script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] large OP + too-large ext -> ext removed
	{name: "idit", in: "siit/7915/idit.pkt", want: []string{"siit/7915/idie.pkt"}, dir: "46", env: grayEnv{mtu4: 2153}, script: "-"},
	// (rfc7915, 46) 4->6 ICMP ext (RFC 4884), ICMPv6 capped at 1280B: [v4 mtu 2153] legacy: large OP truncation, 1280B
	{name: "idyt", in: "siit/7915/idyt.pkt", want: []string{"siit/7915/idye.pkt"}, dir: "46", env: grayEnv{mtu4: 2153}, script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1500] ICMPv4 error 1261B -> ICMPv6 error still capped at 1280B
	{name: "jat", in: "siit/7915/jat.pkt", want: []string{"siit/7915/jae.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1500}, script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280] IPv4 !DF UDP 1261B -> IPv6 fragments 1280B + 57B
	{name: "jbat", in: "siit/7915/jbat.pkt", want: []string{"siit/7915/jbae1.pkt", "siit/7915/jbae2.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1280] IPv4 DF UDP 1261B -> unfragmented IPv6 1281B
	{name: "jbbt", in: "siit/7915/jbbt.pkt", want: []string{"siit/7915/jbbe.pkt"}, dir: "46", script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1402] IPv4 !DF UDP 1383B -> fragments 1400B + 59B (8-byte aligned)
	{name: "jcat", in: "siit/7915/jcat.pkt", want: []string{"siit/7915/jcae1.pkt", "siit/7915/jcae2.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1402}, script: "-"},
	// (rfc7915, 46) [lowest-ipv6-mtu=1402] IPv4 DF UDP 1383B -> unfragmented 1403B
	{name: "jcbt", in: "siit/7915/jcbt.pkt", want: []string{"siit/7915/jcbe.pkt"}, dir: "46", env: grayEnv{lowestMTU: 1402}, script: "-"},

	// INDEX.md section 4: SIIT pktgen 4-tcp-* senders vs 6-tcp-* receivers
	// (no tcp46 group in Jool's test.sh).
	{name: "4-tcp-csumok-df-nofrag", in: "siit/pktgen/sender/4-tcp-csumok-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumok-df-nofrag.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumok-nodf-nofrag", in: "siit/pktgen/sender/4-tcp-csumok-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-nofrag.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumok-nodf-frag0", in: "siit/pktgen/sender/4-tcp-csumok-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag0.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumok-nodf-frag1", in: "siit/pktgen/sender/4-tcp-csumok-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag1.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumok-nodf-frag2", in: "siit/pktgen/sender/4-tcp-csumok-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumok-nodf-frag2.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumfail-df-nofrag", in: "siit/pktgen/sender/4-tcp-csumfail-df-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumfail-df-nofrag.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumfail-nodf-nofrag", in: "siit/pktgen/sender/4-tcp-csumfail-nodf-nofrag.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-nofrag.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumfail-nodf-frag0", in: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag0.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag0.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumfail-nodf-frag1", in: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag1.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag1.pkt"}, dir: "46", script: "-", extra: true},
	{name: "4-tcp-csumfail-nodf-frag2", in: "siit/pktgen/sender/4-tcp-csumfail-nodf-frag2.pkt", want: []string{"siit/pktgen/receiver/6-tcp-csumfail-nodf-frag2.pkt"}, dir: "46", script: "-", extra: true},
}

// verdict returns the verdict the row expects for every output frame.
func (r *grayRow) verdict() batch.Verdict {
	switch r.dir {
	case "64":
		return batch.To4
	case "46":
		return batch.To6
	case "66":
		if r.hairpin {
			return batch.To6
		}
		return batch.Back
	}
	return batch.Back // "44"
}

// subtestName is in4/<row> or in6/<row> by the input's IP version.
func (r *grayRow) subtestName(in []byte) string {
	if len(in) > 0 && in[0]>>4 == 6 {
		return "in6/" + r.name
	}
	return "in4/" + r.name
}

func TestGraybox(t *testing.T) {
	dir := grayboxDir(t)
	if n := countMain(grayRows); n != 124 {
		t.Fatalf("table has %d SIIT rows, INDEX.md section 5 has 124", n)
	}
	for name := range deviations {
		found := false
		for i := range grayRows {
			found = found || grayRows[i].name == name
		}
		if !found {
			t.Errorf("deviations lists %q, which is not a row", name)
		}
	}
	var status grayStatus
	for i := range grayRows {
		r := &grayRows[i]
		in := readPkt(t, dir, r.in)
		var want [][]byte
		for _, w := range r.want {
			want = append(want, readPkt(t, dir, w))
		}
		t.Run(r.subtestName(in), func(t *testing.T) {
			var msg string
			defer func() { status.add(r, in, msg, t.Skipped()) }()
			msg = runGrayRow(t, r, in, want)
		})
	}
	if p := os.Getenv("XLATD_GRAYBOX_STATUS"); p != "" {
		if err := status.write(p); err != nil {
			t.Errorf("writing status: %v", err)
		}
	}
}

func countMain(rows []grayRow) int {
	n := 0
	for i := range rows {
		if !rows[i].extra {
			n++
		}
	}
	return n
}

func readPkt(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("corpus file: %v", err)
	}
	return b
}

// runGrayRow translates in and compares the outputs with want. It reports
// failures through t and returns a one-line summary ("" on success).
func runGrayRow(t *testing.T, r *grayRow, in []byte, want [][]byte) (summary string) {
	defer func() {
		if p := recover(); p != nil {
			summary = fmt.Sprintf("PANIC %v", p)
			t.Errorf("Translate panicked: %v\ninput:\n%s", p, describe(in))
		}
	}()
	cfg := grayConfig(t, r.env)
	tr := newTranslator(cfg)
	buf, n := newFrame(in)
	var v batch.Vector
	v.Add(buf, batch.Headroom, n, sideOf(in))
	tr.Translate(&v, 1e9, &heapAlloc{})

	out := outputs(&v)
	for i := 0; i < v.N; i++ {
		if f := &v.Frames[i]; f.Verdict == batch.Drop && f.Reason == batch.ReasonNone {
			t.Errorf("frame dropped without a reason")
		}
	}
	dev, isDev := deviations[r.name]
	if len(out) != len(want) {
		f := &v.Frames[0]
		s := fmt.Sprintf("want %d output frame(s), got %d (first frame: verdict %v, reason %v, extra %d)",
			len(want), len(out), f.Verdict, f.Reason, v.NExtra)
		if isDev {
			t.Skipf("deviation (%s): %s", dev, s)
		}
		t.Errorf("%s\ninput:\n%s", s, indent(describe(in)))
		for i, w := range want {
			t.Logf("expected %d (%s):\n%s", i+1, r.want[i], indent(describe(w)))
		}
		for i, f := range out {
			if f.Len > header.EthernetLen {
				t.Logf("got %d (verdict %v):\n%s", i+1, f.Verdict, indent(describe(f.Bytes()[header.EthernetLen:])))
			}
		}
		return s
	}
	var first string
	for i, f := range out {
		problems := checkGrayOutput(r, f, want[i])
		if len(problems) == 0 {
			continue
		}
		got := []byte(nil)
		if f.Len > header.EthernetLen && f.Off+f.Len <= len(f.Buf) {
			got = f.Bytes()[header.EthernetLen:]
		}
		if first == "" {
			first = fmt.Sprintf("output %d: %s", i+1, problems[0])
		}
		if isDev {
			continue
		}
		t.Errorf("output %d of %d (%s), verdict %v: %d problem(s)\n  %s\nwant:\n%sgot:\n%sinput:\n%s",
			i+1, len(out), r.want[i], f.Verdict, len(problems), strings.Join(problems, "\n  "),
			indent(describe(want[i])), indent(describe(got)), indent(describe(in)))
	}
	if isDev {
		if first == "" {
			t.Logf("row is listed in deviations but matches Jool")
		}
		t.Skipf("deviation: %s (%s)", dev, first)
	}
	return first
}

// checkGrayOutput compares one output frame with an expected packet and
// returns the problems found.
func checkGrayOutput(r *grayRow, f *batch.Frame, want []byte) []string {
	var p []string
	if s := checkFrame(f); s != "" {
		p = append(p, "invalid frame: "+s)
		if f.Off < 0 || f.Off+f.Len > len(f.Buf) || f.Len <= header.EthernetLen {
			return p
		}
	}
	if f.Verdict != r.verdict() {
		p = append(p, fmt.Sprintf("verdict %v, want %v", f.Verdict, r.verdict()))
	}
	b := f.Bytes()
	if et := binary.BigEndian.Uint16(b[header.EthType:]); et != etherTypeOf(want) {
		p = append(p, fmt.Sprintf("EtherType %#04x, want %#04x", et, etherTypeOf(want)))
	}
	if f.Verdict == batch.Back {
		if !bytes.Equal(b[header.EthDst:header.EthDst+6], macPeer[:]) || !bytes.Equal(b[header.EthSrc:header.EthSrc+6], macXlat[:]) {
			p = append(p, fmt.Sprintf("verdict Back but MACs not swapped: dst %x src %x", b[0:6], b[6:12]))
		}
	}
	return append(p, compareIP(r, want, b[header.EthernetLen:])...)
}

// compareIP implements Jool's equality (INDEX.md section 2) of an actual
// IP packet got with the expected one.
func compareIP(r *grayRow, want, got []byte) []string {
	var p []string
	skip := map[int]string{}
	if len(want) >= 20 && want[0]>>4 == 4 {
		ihl := int(want[0]&0xf) * 4
		if r.tos {
			skip[1] = "tos"
		}
		if binary.BigEndian.Uint16(want[4:]) == 0 {
			skip[4], skip[5], skip[10], skip[11] = "id", "id", "csum", "csum"
			if !ipv4HeaderValid(got) {
				p = append(p, "zero-ID rule: outer IPv4 header checksum invalid")
			}
		}
		fragOff := binary.BigEndian.Uint16(want[6:]) & 0x1fff
		if want[9] == header.ProtoICMP && fragOff == 0 && len(want) >= ihl+8+20 && isICMPv4Error(want[ihl]) &&
			want[ihl+8]>>4 == 4 {
			in := ihl + 8
			// Only 6->4 errors have a translator-chosen inner ID. In the
			// errors xlatd originates (44 rows) the quoted packet is the
			// original and must match byte for byte, as Jool's byte
			// comparator requires there (its script lacks 32,33,38,39).
			if r.dir == "64" && binary.BigEndian.Uint16(want[in+4:]) == 0 {
				skip[in+4], skip[in+5], skip[in+10], skip[in+11] = "inner id", "inner id", "inner csum", "inner csum"
				gihl := 0
				if len(got) >= 20 {
					gihl = int(got[0]&0xf) * 4
				}
				if len(got) < gihl+8+20 || !ipv4HeaderValid(got[gihl+8:]) {
					p = append(p, "zero-ID rule: inner IPv4 header checksum invalid")
				}
				if r.icmpCsum || r.dir == "64" {
					skip[ihl+2], skip[ihl+3] = "icmp csum", "icmp csum"
					if len(got) < gihl+8 || refSum(got[gihl:]) != 0xffff {
						p = append(p, "ICMPv4 checksum invalid (verified by recomputation)")
					}
				}
			}
		}
	}
	if len(want) != len(got) {
		p = append(p, fmt.Sprintf("length %d, want %d", len(got), len(want)))
	}
	ndiff := 0
	for i := 0; i < len(want) && i < len(got); i++ {
		if want[i] == got[i] {
			continue
		}
		if _, ok := skip[i]; ok {
			continue
		}
		ndiff++
		if ndiff <= 24 {
			p = append(p, fmt.Sprintf("offset %d (%s): want %#02x got %#02x", i, fieldName(want, i), want[i], got[i]))
		}
	}
	if ndiff > 24 {
		p = append(p, fmt.Sprintf("... %d differing bytes in all", ndiff))
	}
	return p
}

func isICMPv4Error(typ byte) bool {
	return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
}

func indent(s string) string {
	if s == "" {
		return "    (nothing)\n"
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// grayStatus collects one line per row for XLATD_GRAYBOX_STATUS.
type grayStatus struct {
	mu    sync.Mutex
	lines []string
	pass  map[string]int
	fail  map[string]int
	dev   map[string]int
}

func (s *grayStatus) add(r *grayRow, in []byte, msg string, skipped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass == nil {
		s.pass, s.fail, s.dev = map[string]int{}, map[string]int{}, map[string]int{}
	}
	d := r.subtestName(in)[:3]
	if skipped {
		s.dev[d]++
		s.lines = append(s.lines, fmt.Sprintf("DEVIATION %s %s: %s", r.subtestName(in), r.dir, deviations[r.name]))
		return
	}
	if msg == "" {
		s.pass[d]++
		s.lines = append(s.lines, fmt.Sprintf("PASS %s %s", r.subtestName(in), r.dir))
		return
	}
	s.fail[d]++
	s.lines = append(s.lines, fmt.Sprintf("FAIL %s %s: %s", r.subtestName(in), r.dir, msg))
}

func (s *grayStatus) write(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	keys := []string{"in4", "in6"}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d pass, %d fail, %d listed deviations\n", k, s.pass[k], s.fail[k], s.dev[k])
	}
	for _, l := range s.lines {
		b.WriteString(l + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// TestGrayboxComparator checks the comparator itself: every expected packet
// equals itself under its row's rules, and a changed byte outside the
// exempt fields is reported.
func TestGrayboxComparator(t *testing.T) {
	dir := grayboxDir(t)
	for i := range grayRows {
		r := &grayRows[i]
		for _, w := range r.want {
			want := readPkt(t, dir, w)
			if p := compareIP(r, want, want); len(p) != 0 {
				t.Errorf("%s: %s compared with itself: %v", r.name, w, p)
			}
			got := append([]byte(nil), want...)
			got[len(got)-1] ^= 0x40 // last payload byte: never exempt
			if p := compareIP(r, want, got); len(p) == 0 {
				t.Errorf("%s: %s: changed last byte not detected", r.name, w)
			}
			got = append([]byte(nil), want...)
			got[8] ^= 1 // TTL / payload length: never exempt
			if p := compareIP(r, want, got); len(p) == 0 {
				t.Errorf("%s: %s: changed byte 8 not detected", r.name, w)
			}
		}
	}
}

// TestGrayboxTableMatchesIndex checks the typed table against the corpus's
// INDEX.md section 5 (SIIT): same rows in the same order, same files, same
// directions. The table is the test's source; this only catches typing
// mistakes.
func TestGrayboxTableMatchesIndex(t *testing.T) {
	dir := grayboxDir(t)
	md, err := os.ReadFile(filepath.Join(dir, "INDEX.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	start := strings.Index(text, "### SIIT")
	end := strings.Index(text, "### NAT64")
	if start < 0 || end < start {
		t.Fatal("INDEX.md has no SIIT section")
	}
	var idx [][]string
	for _, line := range strings.Split(text[start:end], "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| name") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		idx = append(idx, cells)
	}
	var rows []*grayRow
	for i := range grayRows {
		if !grayRows[i].extra {
			rows = append(rows, &grayRows[i])
		}
	}
	if len(idx) != len(rows) {
		t.Fatalf("INDEX.md has %d SIIT rows, the table %d", len(idx), len(rows))
	}
	for i, c := range idx {
		r := rows[i]
		if base := strings.SplitN(strings.TrimSuffix(c[0], " (ck)"), " ", 2)[0]; !strings.HasPrefix(r.name, base) {
			t.Errorf("row %d: table %q, INDEX.md %q", i, r.name, c[0])
		}
		if c[1] != r.in {
			t.Errorf("row %d (%s): input %q, INDEX.md %q", i, r.name, r.in, c[1])
		}
		if w := strings.Join(r.want, " + "); c[2] != w {
			t.Errorf("row %d (%s): expected %q, INDEX.md %q", i, r.name, w, c[2])
		}
		if !strings.Contains(c[3], ", "+r.dir+")") {
			t.Errorf("row %d (%s): direction %s, INDEX.md %q", i, r.name, r.dir, c[3])
		}
		if hasEnv := strings.Contains(c[3], "[env:"); hasEnv != (r.env != grayEnv{}) {
			t.Errorf("row %d (%s): env %+v, INDEX.md %q", i, r.name, r.env, c[3])
		}
	}
}

// TestGrayboxVector replays the rows again, this time many to a vector:
// rows sharing a configuration go through Translate together (up to 64 at
// a time, in INDEX.md order), so that frames cannot influence each other
// and the extra frames of fragmented packets come out in order, after the
// first fragment of each, as batch.Vector documents.
func TestGrayboxVector(t *testing.T) {
	dir := grayboxDir(t)
	type group struct {
		env  grayEnv
		rows []*grayRow
	}
	var groups []*group
	for i := range grayRows {
		r := &grayRows[i]
		if _, dev := deviations[r.name]; dev {
			continue
		}
		var g *group
		for _, x := range groups {
			if x.env == r.env && len(x.rows) < batch.Size {
				g = x
			}
		}
		if g == nil {
			g = &group{env: r.env}
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	for gi, g := range groups {
		t.Run(fmt.Sprintf("group%d-%drows", gi, len(g.rows)), func(t *testing.T) {
			var v batch.Vector
			ins := make([][]byte, len(g.rows))
			for i, r := range g.rows {
				ins[i] = readPkt(t, dir, r.in)
				buf, n := newFrame(ins[i])
				v.Add(buf, batch.Headroom, n, sideOf(ins[i]))
			}
			newTranslator(grayConfig(t, g.env)).Translate(&v, 1e9, &heapAlloc{})
			next := 0 // next unclaimed Extra frame
			for i, r := range g.rows {
				var out []*batch.Frame
				if f := &v.Frames[i]; f.Verdict != batch.Drop && f.Verdict != batch.Pass {
					out = append(out, f)
				}
				for len(out) < len(r.want) && len(out) > 0 && next < v.NExtra {
					out = append(out, &v.Extra[next])
					next++
				}
				if len(out) != len(r.want) {
					t.Errorf("%s: %d output frame(s), want %d (verdict %v, reason %v)", r.name, len(out),
						len(r.want), v.Frames[i].Verdict, v.Frames[i].Reason)
					continue
				}
				for k, f := range out {
					want := readPkt(t, dir, r.want[k])
					if p := checkGrayOutput(r, f, want); len(p) != 0 {
						t.Errorf("%s: output %d (%s) in a vector of %d: %s", r.name, k+1, r.want[k], v.N,
							strings.Join(p, "; "))
					}
				}
			}
			if next != v.NExtra {
				t.Errorf("%d extra frames, the rows account for %d", v.NExtra, next)
			}
		})
	}
}

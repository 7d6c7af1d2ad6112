package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const base = `
[interfaces]
ipv6 = "veth6"
ipv4 = "veth4"
`

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Interfaces.IPv6, want.Interfaces.IPv4 = "veth6", "veth4"
	checks := []struct {
		name      string
		got, want any
	}{
		{"queues", c.Interfaces.Queues, 0},
		{"xdp_mode", c.Interfaces.XDPMode, "auto"},
		{"zerocopy", c.Interfaces.ZeroCopy, "auto"},
		{"mode", c.Translate.Mode, "siit"},
		{"pool6", c.Translate.Pool6, netip.MustParsePrefix("64:ff9b::/96")},
		{"ipv4_address", c.Translate.IPv4Address, netip.Addr{}},
		{"ipv6_address", c.Translate.IPv6Address, netip.Addr{}},
		{"lowest_ipv6_mtu", c.Translate.LowestIPv6MTU, 1280},
		{"amend", c.Translate.AmendUDPZeroChecksum, false},
		{"reset_traffic_class", c.Translate.ResetTrafficClass, false},
		{"reset_tos", c.Translate.ResetTOS, false},
		{"tos", c.Translate.TOS, 0},
		{"icmp_errors_per_second", c.Translate.ICMPErrorsPerSecond, 1000},
		{"ports", c.NAT64.Ports, PortRange{Lo: 1024, Hi: 65535}},
		{"port_block_size", c.NAT64.PortBlockSize, 128},
		{"max_blocks", c.NAT64.MaxBlocksPerSubscriber, 8},
		{"deterministic", c.NAT64.Deterministic, false},
		{"udp", time.Duration(c.NAT64.Timeouts.UDP), 5 * time.Minute},
		{"tcp_est", time.Duration(c.NAT64.Timeouts.TCPEstablished), 2*time.Hour + 4*time.Minute},
		{"tcp_trans", time.Duration(c.NAT64.Timeouts.TCPTransitory), 4 * time.Minute},
		{"icmp", time.Duration(c.NAT64.Timeouts.ICMP), 60 * time.Second},
		{"mappings", c.Log.Mappings, "stderr"},
		{"listen", c.Metrics.Listen, "127.0.0.1:9464"},
		{"ring_size", c.Datapath.RingSize, 2048},
		{"frames", c.Datapath.Frames, 8192},
		{"frame_size", c.Datapath.FrameSize, 4096},
		{"batch", c.Datapath.Batch, 64},
		{"busy_poll", c.Datapath.BusyPoll, true},
		{"forward_only", c.Datapath.ForwardOnly, false},
		{"socket", c.Control.Socket, "/run/xlatd/xlatd.sock"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestFullConfig(t *testing.T) {
	c, err := Parse([]byte(`
[interfaces]
ipv6 = "eth0"
ipv4 = "eth0"
queues = 2
xdp_mode = "native"
zerocopy = "off"
capture4 = ["198.51.100.0/24"]
deny4 = ["198.51.100.1/32"]

[translate]
mode = "siit"
pool6 = "2001:db8:64::/48"
ipv4_address = "192.0.2.1"
ipv6_address = "2001:db8::1"
lowest_ipv6_mtu = 1400
amend_udp_zero_checksum = true
reset_traffic_class = true
reset_tos = true
tos = 32
rfc6791_v4 = "203.0.113.0/24"
rfc6791_v6 = "2001:db8:6791::/64"
icmp_errors_per_second = 0

[[eamt]]
ipv6 = "2001:db8:6::/120"
ipv4 = "192.0.2.0/24"
[[eamt]]
ipv6 = "2001:db8:7::1/128"
ipv4 = "198.51.100.7/32"
[[eamt]]
ipv6 = "2001:db8:1c0:2::/72"
ipv4 = "203.0.113.0/24"

[nat64]
pool4 = ["192.0.2.0/28"]
ports = "2000-3000"
port_block_size = 64
max_blocks_per_subscriber = 2
deterministic = true
subscriber_prefix_length = 56
subscribers = ["2001:db8:100::/50"]
max_sessions_per_subscriber = 1000
max_sessions = 100000
filtering = "address-dependent"
port_reuse_delay = "60s"
[nat64.timeouts]
udp = "10m"
tcp_established = "3h"
tcp_transitory = "5m"
tcp_incoming_syn = "8s"
icmp = "30s"
fragment = "3s"
[[nat64.static]]
protocol = "tcp"
ipv6 = "2001:db8:6::102"
port6 = 80
ipv4 = "192.0.2.1"
port4 = 80
[[nat64.static]]
protocol = "icmp"
ipv6 = "2001:db8:6::102"
port6 = 7
ipv4 = "192.0.2.1"
port4 = 7

[log]
mappings = "off"
mappings_format = "text"
ipfix = "[2001:db8::9]:4739"

[metrics]
listen = ""

[datapath]
ring_size = 1024
frames = 4096
frame_size = 2048
batch = 32
busy_poll = false
forward_only = true
cpus = [1, 0]

[control]
socket = ""
`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Interfaces.OneArmed() || c.Interfaces.Queues != 2 || c.Translate.TOS != 32 || len(c.EAMT) != 3 ||
		c.EAMT[1].IPv4 != netip.MustParsePrefix("198.51.100.7/32") || c.NAT64.Ports != (PortRange{Lo: 2000, Hi: 3000}) ||
		time.Duration(c.NAT64.Timeouts.TCPEstablished) != 3*time.Hour || !c.Datapath.ForwardOnly || c.Control.Socket != "" || len(c.Datapath.CPUs) != 2 || c.Datapath.CPUs[0] != 1 ||
		c.Interfaces.Capture4[0] != netip.MustParsePrefix("198.51.100.0/24") ||
		c.NAT64.SubscriberPrefixLength != 56 || c.NAT64.Subscribers[0] != netip.MustParsePrefix("2001:db8:100::/50") ||
		c.NAT64.MaxSessionsPerSubscriber != 1000 || c.NAT64.MaxSessions != 100000 || c.NAT64.Filtering != "address-dependent" ||
		time.Duration(c.NAT64.PortReuseDelay) != time.Minute || time.Duration(c.NAT64.Timeouts.TCPIncomingSYN) != 8*time.Second ||
		time.Duration(c.NAT64.Timeouts.Fragment) != 3*time.Second || len(c.NAT64.Static) != 2 || c.NAT64.Static[1].Protocol != "icmp" ||
		c.NAT64.Static[0].IPv4 != netip.MustParseAddr("192.0.2.1") || c.NAT64.Static[0].Port6 != 80 ||
		c.Log.MappingsFormat != "text" || c.Log.IPFIX != "[2001:db8::9]:4739" {
		t.Errorf("decoded %+v", c)
	}
	bc, err := c.BatchConfig(Env{MTU4: 9000, Addr4: netip.MustParseAddr("203.0.113.9")})
	if err != nil {
		t.Fatal(err)
	}
	if bc.MTU4 != 9000 || bc.MTU6 != 1500 || bc.ICMPv4Source != netip.MustParseAddr("192.0.2.1") ||
		bc.ICMPErrorsPerSecond != -1 || bc.TOS != 32 || !bc.ResetTOS || bc.LowestIPv6MTU != 1400 {
		t.Errorf("batch config %+v", bc)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       []string // every line expected, in order
	}{
		{"pool6 length", "[translate]\npool6 = \"64:ff9b::/33\"", []string{"translate.pool6: prefix length 33 is not one of 32,40,48,56,64,96"}},
		{"pool6 ipv4", "[translate]\npool6 = \"192.0.2.0/24\"", []string{"translate.pool6: 192.0.2.0/24 is not an IPv6 prefix"}},
		{"pool6 host bits", "[translate]\npool6 = \"64:ff9b::1/96\"", []string{"translate.pool6: 64:ff9b::1/96 has bits set beyond the prefix length (did you mean 64:ff9b::/96?)"}},
		{"pool6 u octet", "[translate]\npool6 = \"2001:db8:0:0:100::/96\"", []string{`translate.pool6: 2001:db8:0:0:100::/96: bits 64-71 (the RFC 6052 "u" octet) must be zero`}},
		{"pool6 garbage", "[translate]\npool6 = \"nope\"", []string{`translate.pool6: netip.ParsePrefix("nope"): no '/' (line 6)`}},
		{"pool6 empty no eamt", "[translate]\npool6 = \"\"", []string{"translate.pool6: empty and no [[eamt]] entries: nothing to translate"}},
		{"mode", "[translate]\nmode = \"nat46\"", []string{`translate.mode: must be siit or nat64, not "nat46"`}},
		{"nat64 no pool4", "[translate]\nmode = \"nat64\"", []string{`nat64.pool4: required when translate.mode = "nat64"`}},
		{"nat64 pool4 in deny4", "[interfaces]\nipv6 = \"eth0\"\nipv4 = \"eth1\"\ndeny4 = [\"192.0.2.8/29\"]\n[translate]\nmode = \"nat64\"\n[nat64]\npool4 = [\"192.0.2.0/28\"]", []string{"nat64.pool4[0]: 192.0.2.0/28 overlaps interfaces.deny4[0] 192.0.2.8/29 (replies to pool4 would never reach xlatd)"}},
		{"nat64 pool4 in eamt", "[translate]\nmode = \"nat64\"\n[nat64]\npool4 = [\"192.0.2.0/28\"]\n[[eamt]]\nipv6 = \"2001:db8:6::/120\"\nipv4 = \"192.0.2.0/24\"", []string{"nat64.pool4[0]: 192.0.2.0/28 overlaps eamt[0].ipv4 192.0.2.0/24 (an IPv4 address is either NAT64 state or an explicit mapping)"}},
		{"ipv4_address", "[translate]\nipv4_address = \"2001:db8::1\"", []string{"translate.ipv4_address: 2001:db8::1 is not an IPv4 address"}},
		{"ipv4_address multicast", "[translate]\nipv4_address = \"224.0.0.1\"", []string{"translate.ipv4_address: 224.0.0.1 cannot be the source of ICMP errors"}},
		{"ipv6_address", "[translate]\nipv6_address = \"192.0.2.1\"", []string{"translate.ipv6_address: 192.0.2.1 is not an IPv6 address"}},
		{"ipv6_address unspecified", "[translate]\nipv6_address = \"::\"", []string{"translate.ipv6_address: :: cannot be the source of ICMP errors"}},
		{"ipv6_address garbage", "[translate]\nipv6_address = \"x\"", []string{`translate.ipv6_address: ParseAddr("x"): unable to parse IP (line 6)`}},
		{"lowest mtu", "[translate]\nlowest_ipv6_mtu = 1279", []string{"translate.lowest_ipv6_mtu: 1279 is not between 1280 and 65535"}},
		{"lowest mtu type", "[translate]\nlowest_ipv6_mtu = \"1280\"", []string{"translate.lowest_ipv6_mtu: incompatible types: TOML value has type string; destination has type integer (line 6)"}},
		{"amend type", "[translate]\namend_udp_zero_checksum = 1", []string{"translate.amend_udp_zero_checksum: incompatible types: TOML value has type int64; destination has type boolean (line 6)"}},
		{"tos", "[translate]\ntos = 256", []string{"translate.tos: 256 is not between 0 and 255"}},
		{"rfc6791_v4", "[translate]\nrfc6791_v4 = \"2001:db8::/64\"", []string{"translate.rfc6791_v4: 2001:db8::/64 is not an IPv4 prefix"}},
		{"rfc6791_v6", "[translate]\nrfc6791_v6 = \"192.0.2.0/24\"", []string{"translate.rfc6791_v6: 192.0.2.0/24 is not an IPv6 prefix"}},
		{"icmp rate", "[translate]\nicmp_errors_per_second = -1", []string{"translate.icmp_errors_per_second: -1 is negative (0 means unlimited)"}},
		{"unknown key", "[translate]\npool7 = \"x\"", []string{"translate.pool7: unknown key"}},
		{"subscriber length", "[nat64]\nsubscriber_prefix_length = 20", []string{"nat64.subscriber_prefix_length: 20 is not between 32 and 128"}},
		{"subscribers", "[nat64]\nsubscriber_prefix_length = 56\nsubscribers = [\"2001:db8::/48\", \"2001:db8::/64\", \"192.0.2.0/24\"]",
			[]string{"nat64.subscribers[1]: 2001:db8::/64 is longer than nat64.subscriber_prefix_length 56", "nat64.subscribers[1]: 2001:db8::/64 overlaps nat64.subscribers[0] 2001:db8::/48", "nat64.subscribers[2]: 192.0.2.0/24 is not an IPv6 prefix"}},
		{"deterministic no subscribers", "[nat64]\ndeterministic = true", []string{"nat64.subscribers: required when nat64.deterministic = true"}},
		{"deterministic too many", "[nat64]\npool4 = [\"192.0.2.0/30\"]\ndeterministic = true\nsubscriber_prefix_length = 64\nsubscribers = [\"2001:db8::/48\"]",
			[]string{"nat64.subscribers: 65536 subscribers (/64) but pool4 holds only 252 ranges of 1024 ports (nat64.port_block_size x nat64.max_blocks_per_subscriber)"}},
		{"blocks beyond ports", "[nat64]\nports = \"1024-2047\"\nport_block_size = 512\nmax_blocks_per_subscriber = 3", []string{"nat64.max_blocks_per_subscriber: 3 blocks of 512 ports is more than nat64.ports holds (1024)"}},
		{"pool4 overlap", "[nat64]\npool4 = [\"192.0.2.0/28\", \"192.0.2.8/29\"]", []string{"nat64.pool4[1]: 192.0.2.8/29 overlaps nat64.pool4[0] 192.0.2.0/28"}},
		{"too many blocks", "[nat64]\npool4 = [\"198.51.100.0/23\"]\nport_block_size = 1", []string{"nat64.port_block_size: 1 gives 33030144 port blocks in pool4, more than 16777216: use larger blocks"}},
		{"pool4 too big", "[nat64]\npool4 = [\"10.0.0.0/8\"]", []string{"nat64.pool4: 16777216 addresses is more than 65536", "nat64.port_block_size: 128 gives 8455716864 port blocks in pool4, more than 16777216: use larger blocks"}},
		{"max sessions", "[nat64]\nmax_sessions = -1\nmax_sessions_per_subscriber = -1", []string{"nat64.max_sessions_per_subscriber: -1 is negative (0 means only the port quota)", "nat64.max_sessions: -1 is not between 0 (sized from pool4 and ports) and 268435456"}},
		{"filtering", "[nat64]\nfiltering = \"full-cone\"", []string{`nat64.filtering: must be endpoint-independent or address-dependent, not "full-cone"`}},
		{"reuse delay", "[nat64]\nport_reuse_delay = \"2h\"", []string{"nat64.port_reuse_delay: 2h0m0s is not between 0s and 1h"}},
		{"incoming syn", "[nat64.timeouts]\ntcp_incoming_syn = \"1s\"\nfragment = \"1s\"", []string{"nat64.timeouts.tcp_incoming_syn: 1s is not between 6s (RFC 6146 section 3.5.2.2) and 1m", "nat64.timeouts.fragment: 1s is not between 2s (RFC 6146 section 4) and 1m"}},
		{"static", "[nat64]\npool4 = [\"192.0.2.0/28\"]\n[[nat64.static]]\nprotocol = \"sctp\"\nipv6 = \"2001:db8::1\"\nport6 = 80\nipv4 = \"198.51.100.1\"\nport4 = 2000",
			[]string{`nat64.static[0].protocol: must be tcp, udp or icmp, not "sctp"`, "nat64.static[0].ipv4: 198.51.100.1 is not in nat64.pool4", "nat64.static[0].port4: 2000 is inside nat64.ports 1024-65535 (static entries use the ports outside it)"}},
		{"static duplicate", "[nat64]\npool4 = [\"192.0.2.0/28\"]\n[[nat64.static]]\nprotocol = \"udp\"\nipv6 = \"2001:db8::1\"\nport6 = 53\nipv4 = \"192.0.2.1\"\nport4 = 53\n[[nat64.static]]\nprotocol = \"udp\"\nipv6 = \"2001:db8::2\"\nport6 = 53\nipv4 = \"192.0.2.1\"\nport4 = 53",
			[]string{"nat64.static[1]: udp 192.0.2.1:53 is already mapped by nat64.static[0]"}},
		{"static missing", "[[nat64.static]]\nprotocol = \"tcp\"", []string{"nat64.static[0].ipv6: required: a unicast IPv6 address", "nat64.static[0].ipv4: required: an IPv4 address of nat64.pool4", "nat64.static[0].port6: 0 is not between 1 and 65535", "nat64.static[0].port4: 0 is not between 1 and 65535"}},
		{"mappings format", "[log]\nmappings_format = \"xml\"\nipfix = \"collector\"", []string{`log.mappings_format: must be json or text, not "xml"`, `log.ipfix: "collector" is not host:port ("" turns IPFIX off)`}},
		{"unknown table", "[foo]\nbar = 1", []string{"foo: unknown key", "foo.bar: unknown key"}},
		{"unknown eamt key", "[[eamt]]\nipv6 = \"2001:db8::/128\"\nipv4 = \"192.0.2.1/32\"\nipv5 = 1", []string{"eamt.ipv5: unknown key"}},
		{"ipv6 missing", "[interfaces]\nipv6 = \"\"", []string{"interfaces.ipv6: required: the name of an interface"}},
		{"ipv4 bad name", "[interfaces]\nipv4 = \"a/b\"", []string{`interfaces.ipv4: "a/b" is not a valid interface name`}},
		{"queues", "[interfaces]\nqueues = -1", []string{"interfaces.queues: -1 is not between 0 (all) and 1024"}},
		{"xdp_mode", "[interfaces]\nxdp_mode = \"skb\"", []string{`interfaces.xdp_mode: must be auto, native or generic, not "skb"`}},
		{"zerocopy", "[interfaces]\nzerocopy = \"yes\"", []string{`interfaces.zerocopy: must be auto, on or off, not "yes"`}},
		{"capture4", "[interfaces]\ncapture4 = [\"198.51.100.0/24\", \"2001:db8::/64\"]", []string{"interfaces.capture4[1]: 2001:db8::/64 is not an IPv4 prefix"}},
		{"deny4", "[interfaces]\ndeny4 = [\"198.51.100.1/24\"]", []string{"interfaces.deny4[0]: 198.51.100.1/24 has bits set beyond the prefix length (did you mean 198.51.100.0/24?)"}},
		{"eamt ipv4", "[[eamt]]\nipv6 = \"2001:db8:6::/120\"\nipv4 = \"192.0.2.0/24\"\n[[eamt]]\nipv6 = \"2001:db8:7::/120\"\nipv4 = \"2001:db8::/120\"", []string{"eamt[1].ipv4: 2001:db8::/120 is not an IPv4 prefix"}},
		{"eamt missing", "[[eamt]]\nipv6 = \"2001:db8:6::/120\"", []string{"eamt[0].ipv4: required: an IPv4 prefix such as 192.0.2.0/24"}},
		{"eamt ipv6", "[[eamt]]\nipv6 = \"192.0.2.0/24\"\nipv4 = \"192.0.2.0/24\"", []string{"eamt[0].ipv6: 192.0.2.0/24 is not an IPv6 prefix"}},
		{"eamt suffix", "[[eamt]]\nipv6 = \"2001:db8:6::/120\"\nipv4 = \"192.0.2.0/23\"", []string{"eamt[0]: ipv4 192.0.2.0/23 leaves 9 suffix bits but ipv6 2001:db8:6::/120 only 8 (RFC 7757 section 3.2)"}},
		{"eamt overlap", "[[eamt]]\nipv6 = \"2001:db8:6::/120\"\nipv4 = \"192.0.2.0/24\"\n[[eamt]]\nipv6 = \"2001:db8:7::/128\"\nipv4 = \"192.0.2.7/32\"", []string{"eamt[1]: (2001:db8:7::/128 <-> 192.0.2.7/32): IPv4 prefix 192.0.2.7/32 lies inside that of entry 0 (2001:db8:6::/120 <-> 192.0.2.0/24)"}},
		{"eamt dup", "[[eamt]]\nipv6 = \"2001:db8:6::/120\"\nipv4 = \"192.0.2.0/24\"\n[[eamt]]\nipv6 = \"2001:db8:7::/120\"\nipv4 = \"192.0.2.0/24\"", []string{"eamt[1].ipv4: 192.0.2.0/24 is already mapped by eamt[0]"}},
		{"pool4", "[nat64]\npool4 = [\"192.0.2.0\"]", []string{`nat64.pool4: netip.ParsePrefix("192.0.2.0"): no '/' (line 6)`}},
		{"pool4 v6", "[nat64]\npool4 = [\"2001:db8::/120\"]", []string{"nat64.pool4[0]: 2001:db8::/120 is not an IPv4 prefix"}},
		{"ports", "[nat64]\nports = \"2000-1000\"", []string{"nat64.ports: 2000-1000 is not a range of ports 1-65535 with low <= high"}},
		{"ports garbage", "[nat64]\nports = \"a-b\"", []string{`nat64.ports: "a-b" is not a port range like "1024-65535" (line 6)`}},
		{"port block", "[nat64]\nports = \"1000-1009\"\nport_block_size = 128", []string{"nat64.port_block_size: 128 is larger than nat64.ports (10 ports)"}},
		{"port block zero", "[nat64]\nport_block_size = 0", []string{"nat64.port_block_size: 0 is not positive"}},
		{"max blocks", "[nat64]\nmax_blocks_per_subscriber = 0", []string{"nat64.max_blocks_per_subscriber: 0 is not positive"}},
		{"udp timeout", "[nat64.timeouts]\nudp = \"1m\"", []string{"nat64.timeouts.udp: 1m0s is shorter than the minimum 2m0s (RFC 4787)"}},
		{"tcp est", "[nat64.timeouts]\ntcp_established = \"2h\"", []string{"nat64.timeouts.tcp_established: 2h0m0s is shorter than the minimum 2h4m0s (RFC 5382)"}},
		{"tcp trans", "[nat64.timeouts]\ntcp_transitory = \"3m\"", []string{"nat64.timeouts.tcp_transitory: 3m0s is shorter than the minimum 4m0s (RFC 5382)"}},
		{"icmp timeout", "[nat64.timeouts]\nicmp = \"0s\"", []string{"nat64.timeouts.icmp: 0s is shorter than the minimum 1s (RFC 5508)"}},
		{"duration garbage", "[nat64.timeouts]\nicmp = \"soon\"", []string{`nat64.timeouts.icmp: "soon" is not a duration like "5m" or "2h4m" (line 6)`}},
		{"mappings", "[log]\nmappings = \"\"", []string{"log.mappings: must be stderr, off or a file path"}},
		{"listen", "[metrics]\nlisten = \"9464\"", []string{`metrics.listen: "9464" is not host:port ("" turns metrics off)`}},
		{"listen port", "[metrics]\nlisten = \"127.0.0.1:http\"", []string{`metrics.listen: "127.0.0.1:http": port "http" is not a number 0-65535`}},
		{"listen host", "[metrics]\nlisten = \"example.com:9464\"", []string{`metrics.listen: "example.com:9464": host "example.com" is not an IP address or localhost`}},
		{"ring_size", "[datapath]\nring_size = 1000", []string{"datapath.ring_size: 1000 is not a power of two between 64 and 16384"}},
		{"frames", "[datapath]\nframes = 1024", []string{"datapath.frames: 1024 is less than 4 x datapath.ring_size (8192)"}},
		{"frame_size", "[datapath]\nframe_size = 1500", []string{"datapath.frame_size: 1500 is not 2048 or 4096"}},
		{"batch", "[datapath]\nbatch = 65", []string{"datapath.batch: 65 is not between 1 and 64"}},
		{"cpus range", "[datapath]\ncpus = [1, 1024]", []string{"datapath.cpus: CPU 1024 is not between 0 and 1023"}},
		{"cpus twice", "[datapath]\ncpus = [2, 3, 2]", []string{"datapath.cpus: CPU 2 is listed twice"}},
		{"busy_poll type", "[datapath]\nbusy_poll = \"yes\"", []string{"datapath.busy_poll: incompatible types: TOML value has type string; destination has type boolean (line 6)"}},
		{"socket", "[control]\nsocket = \"xlatd.sock\"", []string{`control.socket: "xlatd.sock" is not an absolute path ("" turns the control socket off)`}},
		{"syntax", "[translate\n", []string{"line 6: expected '.' or ']' to end table name, but got '\\n' instead"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base + tc.toml
			if strings.HasPrefix(tc.toml, "[interfaces]") {
				in = tc.toml
				if !strings.Contains(in, "ipv6 =") {
					in += "\nipv6 = \"veth6\""
				}
				if !strings.Contains(in, "ipv4 =") {
					in += "\nipv4 = \"veth4\""
				}
			}
			_, err := Parse([]byte(in))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestInterfaces(t *testing.T) {
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{"veth6": true}
	lookup := func(n string) error {
		if exists[n] {
			return nil
		}
		return os.ErrNotExist
	}
	if err := c.CheckInterfaces(lookup); err == nil || err.Error() != `interfaces.ipv4: interface "veth4" does not exist` {
		t.Errorf("got %v", err)
	}
	exists["veth4"] = true
	if err := c.CheckInterfaces(lookup); err != nil {
		t.Error(err)
	}
	c.Interfaces.IPv4 = "veth6"
	if !c.Interfaces.OneArmed() {
		t.Error("not one-armed")
	}
}

// docKeys returns the keys docs/CONFIG.md documents as "### `section.key`"
// or table rows "| `key` |" under "## [section]".
func docKeys(t *testing.T, path string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9_]+(\\.[a-z0-9_]+)+)`").FindAllStringSubmatch(string(b), -1) {
		keys[m[1]] = true
	}
	return keys
}

func TestDocsMentionEveryKey(t *testing.T) {
	doc := docKeys(t, filepath.Join("..", "docs", "CONFIG.md"))
	for _, k := range Keys() {
		if !doc[k] {
			t.Errorf("docs/CONFIG.md does not document `%s`", k)
		}
	}
}

// TestContractKeys checks that every key of CONTRACT.md's TOML example is
// accepted, by decoding the example itself.
func TestContractKeys(t *testing.T) {
	p := filepath.Join("..", "..", "shared", "CONTRACT.md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("contract not found: %v", err)
	}
	s := string(b)
	i := strings.Index(s, "```toml\n")
	if i < 0 {
		t.Fatal("no toml block in CONTRACT.md")
	}
	s = s[i+len("```toml\n"):]
	s = s[:strings.Index(s, "```")]
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("CONTRACT.md example does not parse:\n%v", err)
	}
	if c.Interfaces.IPv6 != "eth0" || c.NAT64.PortBlockSize != 128 {
		t.Errorf("decoded %+v", c)
	}
	// Every key of the example is in Keys() (and hence documented).
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = true
	}
	section := ""
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line[:strings.Index(line, "]")+1], "[]")
			continue
		}
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			key := section + "." + strings.TrimSpace(k)
			if !known[key] {
				t.Errorf("CONTRACT.md key %s not accepted", key)
			}
		}
	}
}

func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.toml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s:\n%v", f, err)
		}
	}
}

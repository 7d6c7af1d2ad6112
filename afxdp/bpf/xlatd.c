// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// xlatd's XDP program: redirect to the queue's AF_XDP socket only the
// packets xlatd must translate, pass everything else to the kernel.
//
//   IPv6: destination in pool6 (pool6 prefix + EAMT IPv6 ranges) and not in
//         deny6; never multicast, link-local or Neighbour Discovery.
//   IPv4: destination in capture4 and not in deny4 (the box's own
//         addresses); never multicast, broadcast, loopback or link-local.
//         Exception: a destination in deny4 that is also in shared4 (a
//         NAT64 pool4 address the box uses itself) is redirected when the
//         packet belongs to the pool4 port range shared4_ports: TCP/UDP
//         destination port, ICMP echo reply identifier, or the quoted
//         packet's source port/identifier of an ICMP error (headers
//         without IPv4 options only). Non-first
//         fragments to such an address stay with the kernel.
//         Every IPv4 fragment carries the destination, so fragments follow
//         their first fragment.
//   ARP, VLAN-tagged frames, L2 multicast/broadcast and other EtherTypes:
//         XDP_PASS.
//
// The redirect falls back to XDP_PASS when the queue has no socket.
//
// Declared for frags (SEC("xdp.frags"), BPF_F_XDP_HAS_FRAGS), so that
// native XDP attaches to interfaces whose frames do not fit a page (veth
// with MTU 9000): such a frame arrives as a linear part plus fragments,
// and the AF_XDP socket (bound with XDP_USE_SG) receives it as a chain of
// descriptors. The program reads only the headers it parses, always
// within data..data_end, which is the linear part: a frame whose headers
// are not all in the linear part is passed (counted as pass_short).
// Built with bpf2go (see ../gen.go); the generated object is committed.

#include "uapi.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_ICMPV6_ 58

/* Capacity of each LPM trie: maxPrefixes in program.go. BPF_F_NO_PREALLOC
 * tries allocate a node per entry in use, so a large limit costs nothing
 * until it is used. Program.Update adds new entries before removing stale
 * ones, so a map holds at most half of this between two updates. */
#define MAX_PREFIXES 524288

/* RX queues with a socket: MaxQueues in program.go, the most
 * interfaces.queues allows. An XSKMAP slot is one pointer. */
#define MAX_QUEUES 1024

// Counter indices. Keep in the same order as counterNames in program.go.
enum counter {
	C_REDIRECT4 = 0,
	C_REDIRECT6,
	C_NO_SOCKET,     // matched, but the queue has no socket: passed
	C_PASS_SHORT,    // truncated Ethernet/IP header
	C_PASS_BAD_IP,   // IP version/IHL inconsistent with EtherType
	C_PASS_L2_MCAST, // Ethernet multicast or broadcast destination
	C_PASS_ARP,
	C_PASS_VLAN,
	C_PASS_OTHER,    // other EtherTypes
	C_PASS_MCAST4,   // IPv4 multicast, broadcast, class E, 0/8, loopback
	C_PASS_LL4,      // 169.254.0.0/16
	C_PASS_NOMATCH4, // not in capture4
	C_PASS_DENY4,    // in deny4 (the box's own addresses, denylist)
	C_PASS_MCAST6,   // ff00::/8
	C_PASS_LL6,      // fe80::/10
	C_PASS_ND,       // ICMPv6 router/neighbour discovery and redirect
	C_PASS_NOMATCH6, // not in pool6
	C_PASS_DENY6,    // in deny6
	C_REDIRECT4_SHARED, // to a shared4 address, in the pool4 port range
	C_MAX,
};

struct eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct ip4 {
	__u8 vihl;
	__u8 tos;
	__be16 len;
	__be16 id;
	__be16 frag;
	__u8 ttl;
	__u8 proto;
	__be16 csum;
	__u8 saddr[4];
	__u8 daddr[4];
};

struct ip6 {
	__u8 vtc;
	__u8 flow[3];
	__be16 plen;
	__u8 nexthdr;
	__u8 hlim;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6);
	__type(value, __u8);
} pool6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6);
	__type(value, __u8);
} deny6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4);
	__type(value, __u8);
} capture4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4);
	__type(value, __u8);
} deny4 SEC(".maps");

/* NAT64 pool4 addresses that are also the box's own (see the top). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4);
	__type(value, __u8);
} shared4 SEC(".maps");

struct port_range {
	__u16 lo;
	__u16 hi;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct port_range);
} shared4_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline int count(__u32 idx, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
	return verdict;
}

static __always_inline int redirect(struct xdp_md *ctx, __u32 idx)
{
	long r = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (r == XDP_PASS)
		idx = C_NO_SOCKET;
	return count(idx, (int)r);
}

static __always_inline int do_ip6(struct xdp_md *ctx, void *p, void *end)
{
	struct ip6 *ip = p;
	struct lpm6 key;

	if ((void *)(ip + 1) > end)
		return count(C_PASS_SHORT, XDP_PASS);
	if ((ip->vtc >> 4) != 6)
		return count(C_PASS_BAD_IP, XDP_PASS);
	if (ip->daddr[0] == 0xff)
		return count(C_PASS_MCAST6, XDP_PASS);
	if (ip->daddr[0] == 0xfe && (ip->daddr[1] & 0xc0) == 0x80)
		return count(C_PASS_LL6, XDP_PASS);
	if (ip->nexthdr == IPPROTO_ICMPV6_) {
		__u8 *type = (void *)(ip + 1);
		if ((void *)(type + 1) > end)
			return count(C_PASS_SHORT, XDP_PASS);
		// 133 RS, 134 RA, 135 NS, 136 NA, 137 Redirect.
		if (*type >= 133 && *type <= 137)
			return count(C_PASS_ND, XDP_PASS);
	}
	key.prefixlen = 128;
	__builtin_memcpy(key.addr, ip->daddr, 16);
	if (!bpf_map_lookup_elem(&pool6, &key))
		return count(C_PASS_NOMATCH6, XDP_PASS);
	if (bpf_map_lookup_elem(&deny6, &key))
		return count(C_PASS_DENY6, XDP_PASS);
	return redirect(ctx, C_REDIRECT6);
}

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static __always_inline int in_range(__u8 *p, void *end, struct port_range *r)
{
	__u16 v;

	if ((void *)(p + 2) > end)
		return 0;
	v = ((__u16)p[0] << 8) | p[1];
	return v >= r->lo && v <= r->hi;
}

/* shared_match: does this IPv4 packet to a shared4 address belong to
 * NAT64 (its port, or the port its ICMP error quotes, is in the pool4
 * range)? */
static __always_inline int shared_match(struct ip4 *ip, void *end)
{
	__u32 zero = 0;
	struct port_range *r = bpf_map_lookup_elem(&shared4_ports, &zero);
	__u8 *l4, *in4;
	struct ip4 *in;

	// Only headers without options, outer and quoted: a variable offset
	// into the packet is pointer arithmetic the verifier allows only with
	// CAP_PERFMON, which xlatd's unit does not grant. A packet with IPv4
	// options to a shared address stays with the kernel.
	if (!r || (ip->frag & bpf_htons(0x1fff)) || (ip->vihl & 0xf) != 5)
		return 0;
	l4 = (__u8 *)(ip + 1);
	if ((void *)(l4 + 8) > end)
		return 0;
	switch (ip->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		return in_range(l4 + 2, end, r);
	case IPPROTO_ICMP_:
		break;
	default:
		return 0;
	}
	if (l4[0] == 0) // echo reply: the identifier
		return in_range(l4 + 4, end, r);
	if (l4[0] != 3 && l4[0] != 4 && l4[0] != 11 && l4[0] != 12)
		return 0;
	// An error quoting a packet the pool4 address sent: its source port
	// (TCP/UDP) or echo request identifier.
	in = (struct ip4 *)(l4 + 8);
	if ((void *)(in + 1) > end)
		return 0;
	if ((in->vihl & 0xf) != 5)
		return 0;
	in4 = (__u8 *)(in + 1);
	if ((void *)(in4 + 8) > end)
		return 0;
	switch (in->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
		return in_range(in4, end, r);
	case IPPROTO_ICMP_:
		return in4[0] == 8 && in_range(in4 + 4, end, r);
	}
	return 0;
}

static __always_inline int do_ip4(struct xdp_md *ctx, void *p, void *end)
{
	struct ip4 *ip = p;
	struct lpm4 key;
	__u8 a, b;

	if ((void *)(ip + 1) > end)
		return count(C_PASS_SHORT, XDP_PASS);
	if ((ip->vihl >> 4) != 4 || (ip->vihl & 0xf) < 5)
		return count(C_PASS_BAD_IP, XDP_PASS);
	a = ip->daddr[0];
	b = ip->daddr[1];
	if (a >= 224 || a == 0 || a == 127)
		return count(C_PASS_MCAST4, XDP_PASS);
	if (a == 169 && b == 254)
		return count(C_PASS_LL4, XDP_PASS);
	key.prefixlen = 32;
	__builtin_memcpy(key.addr, ip->daddr, 4);
	if (!bpf_map_lookup_elem(&capture4, &key))
		return count(C_PASS_NOMATCH4, XDP_PASS);
	if (bpf_map_lookup_elem(&deny4, &key)) {
		if (bpf_map_lookup_elem(&shared4, &key) && shared_match(ip, end))
			return redirect(ctx, C_REDIRECT4_SHARED);
		return count(C_PASS_DENY4, XDP_PASS);
	}
	return redirect(ctx, C_REDIRECT4);
}

SEC("xdp.frags")
int xlatd_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct eth *eth = data;

	if ((void *)(eth + 1) > end)
		return count(C_PASS_SHORT, XDP_PASS);
	if (eth->dst[0] & 1)
		return count(C_PASS_L2_MCAST, XDP_PASS);
	switch (eth->proto) {
	case bpf_htons(ETH_P_IPV6):
		return do_ip6(ctx, eth + 1, end);
	case bpf_htons(ETH_P_IP):
		return do_ip4(ctx, eth + 1, end);
	case bpf_htons(ETH_P_ARP):
		return count(C_PASS_ARP, XDP_PASS);
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD):
		return count(C_PASS_VLAN, XDP_PASS);
	}
	return count(C_PASS_OTHER, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";

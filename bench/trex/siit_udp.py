"""TRex stateless profile: RFC 8219 SIIT traffic for xlatd (and any SIIT DUT).

Port 0 faces the translator's IPv6 interface, port 1 its IPv4 interface.

  6to4:  port 0 sends IPv6/UDP from the EAM'd IPv6 hosts (2001:db8:1::/120 ->
         192.0.2.0/24) to IPv4 hosts embedded in pool6 (2001:db8:64::/96 +
         198.51.100.0/24); they leave the DUT as IPv4 on port 1.
  4to6:  port 1 sends IPv4/UDP from 198.51.100.0/24 to 192.0.2.0/24; they
         leave the DUT as IPv6 on port 0.
  bidir: both at once, the same rate per direction.

Frame sizes are RFC 8219 section 5.1's IPv6-side sizes (84, 128, 256, 512,
1024, 1280, 1518, FCS included); the IPv4 frames are 20 bytes shorter so
that both sides carry the same payload. Source and destination vary over
`flows` addresses and the UDP source port over RFC 4814's range, so that
RSS spreads the load over all receive queues of a multi-queue NIC.

Tunables (TRex >= 2.90: `start -f siit_udp.py -t size=84,dir=6to4,...`,
older versions pass them as keyword arguments):
  size=84        IPv6-side frame size including FCS
  dir=6to4       6to4 | 4to6 | bidir
  flows=254      distinct host addresses per side (1..254)
  latency=1      add a 1 kpps latency stream (payload-tagged, survives
                 translation; TRex's plain flow stats key on the IPv4 ID /
                 IPv6 flow label, which translation rewrites, so do not use
                 them to count across the DUT)
  pool6=2001:db8:64::   the DUT's /96 pool6 prefix (with the trailing ::)
Addresses are documentation space; change them to your lab's.
"""

import argparse

from trex_stl_lib.api import (
    CTRexVmInsFixHwCs, Ether, IP, IPv6, STLFlowLatencyStats, STLPktBuilder,
    STLScVmRaw, STLStream, STLTXCont, STLVmFixChecksumHw, STLVmFlowVar,
    STLVmWrFlowVar, UDP,
)

SIZES = (84, 128, 256, 512, 1024, 1280, 1518)
FCS = 4
LATENCY_PPS = 1000


def _v6_stream(size, flows, pool6, pg_id=None):
    # IPv6 host 2001:db8:1::N (EAM 192.0.2.N) -> 198.51.100.N via pool6.
    base = Ether() / IPv6(src="2001:db8:1::1", dst=pool6 + "c633:6401", hlim=64) / UDP(sport=1024, dport=9)
    pad = max(0, size - FCS - len(base)) * b"\x00"
    vm = STLScVmRaw([
        STLVmFlowVar(name="src", min_value=1, max_value=flows, size=1, op="inc"),
        STLVmFlowVar(name="dst", min_value="198.51.100.1", max_value="198.51.100.%d" % flows, size=4, op="random"),
        STLVmFlowVar(name="sport", min_value=1024, max_value=65535, size=2, op="random"),
        STLVmWrFlowVar(fv_name="src", pkt_offset="IPv6.src", offset_fixup=15),
        STLVmWrFlowVar(fv_name="dst", pkt_offset="IPv6.dst", offset_fixup=12),
        STLVmWrFlowVar(fv_name="sport", pkt_offset="UDP.sport"),
        STLVmFixChecksumHw(l3_offset="IPv6", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP),
    ])
    pkt = STLPktBuilder(pkt=base / pad, vm=vm)
    if pg_id is not None:
        return STLStream(packet=pkt, mode=STLTXCont(pps=LATENCY_PPS), flow_stats=STLFlowLatencyStats(pg_id=pg_id))
    return STLStream(packet=pkt, mode=STLTXCont(percentage=100))


def _v4_stream(size, flows, pg_id=None):
    # IPv4 host 198.51.100.N -> 192.0.2.N (EAM of 2001:db8:1::N).
    base = Ether() / IP(src="198.51.100.1", dst="192.0.2.1", ttl=64, flags="DF") / UDP(sport=1024, dport=9)
    pad = max(0, size - 20 - FCS - len(base)) * b"\x00"
    vm = STLScVmRaw([
        STLVmFlowVar(name="src", min_value="198.51.100.1", max_value="198.51.100.%d" % flows, size=4, op="inc"),
        STLVmFlowVar(name="dst", min_value="192.0.2.1", max_value="192.0.2.%d" % flows, size=4, op="random"),
        STLVmFlowVar(name="sport", min_value=1024, max_value=65535, size=2, op="random"),
        STLVmWrFlowVar(fv_name="src", pkt_offset="IP.src"),
        STLVmWrFlowVar(fv_name="dst", pkt_offset="IP.dst"),
        STLVmWrFlowVar(fv_name="sport", pkt_offset="UDP.sport"),
        STLVmFixChecksumHw(l3_offset="IP", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP),
    ])
    pkt = STLPktBuilder(pkt=base / pad, vm=vm)
    if pg_id is not None:
        return STLStream(packet=pkt, mode=STLTXCont(pps=LATENCY_PPS), flow_stats=STLFlowLatencyStats(pg_id=pg_id))
    return STLStream(packet=pkt, mode=STLTXCont(percentage=100))


class SIITUDP(object):
    def _args(self, tunables, kwargs):
        p = argparse.ArgumentParser(prog="siit_udp.py")
        p.add_argument("--size", type=int, default=84, choices=SIZES)
        p.add_argument("--dir", default="6to4", choices=("6to4", "4to6", "bidir"))
        p.add_argument("--flows", type=int, default=254)
        p.add_argument("--latency", type=int, default=1)
        p.add_argument("--pool6", default="2001:db8:64::")
        if tunables:
            return p.parse_args(tunables)
        a = p.parse_args([])
        for k, v in kwargs.items():
            if hasattr(a, k):
                setattr(a, k, type(getattr(a, k))(v))
        return a

    def get_streams(self, direction=0, tunables=None, port_id=None, **kwargs):
        a = self._args(tunables, kwargs)
        if not 1 <= a.flows <= 254:
            raise ValueError("flows must be 1..254")
        port = port_id if port_id is not None else direction
        streams = []
        if port % 2 == 0 and a.dir in ("6to4", "bidir"):
            streams.append(_v6_stream(a.size, a.flows, a.pool6))
            if a.latency:
                streams.append(_v6_stream(a.size, a.flows, a.pool6, pg_id=10 + port))
        if port % 2 == 1 and a.dir in ("4to6", "bidir"):
            streams.append(_v4_stream(a.size, a.flows))
            if a.latency:
                streams.append(_v4_stream(a.size, a.flows, pg_id=10 + port))
        return streams


def register():
    return SIITUDP()

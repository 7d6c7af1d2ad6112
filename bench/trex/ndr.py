#!/usr/bin/env python3
"""RFC 8219 throughput (zero-loss binary search) and latency with TRex.

The same procedure as bench/rfc8219 on the netns testbed, driven through
TRex's stateless Python API against a DUT on real NICs:

  ./ndr.py --server 127.0.0.1 --dir 6to4 --sizes 84,1518 --trial 10 \
           --line-rate-gbps 10 --json results.json

Port 0 is cabled to the translator's IPv6 interface, port 1 to its IPv4
interface (see siit_udp.py for the traffic). For each frame size the first
trial runs at line rate; then the rate is bisected until (hi-lo)/hi is below
--precision. Loss is counted on the port counters (opackets of the sending
port vs ipackets of the receiving one, with a settle time after each trial),
so the DUT must not send anything else out of those ports during a trial:
switch off the kernel's router advertisements and keep neighbour tables
static (docs/BENCHMARKING.md). Latency comes from the profile's 1 kpps
payload-tagged stream at the throughput rate.

Needs TRex's trex_stl_lib on PYTHONPATH (automation/trex_control_plane/interactive).
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    from trex_stl_lib.api import STLClient, STLProfile
except ImportError:  # pragma: no cover
    sys.exit("ndr.py: trex_stl_lib not found; add TRex's automation/trex_control_plane/interactive to PYTHONPATH")


def line_rate_pps(gbps, size):
    # size includes the FCS; preamble + SFD + inter-frame gap add 20 bytes.
    return gbps * 1e9 / ((size + 20) * 8)


def trial(c, ports, tx_ports, rx_ports, pps, seconds, settle):
    c.clear_stats()
    c.start(ports=tx_ports, mult="%dpps" % int(pps), duration=seconds, force=True)
    c.wait_on_traffic(ports=tx_ports, timeout=seconds + 30)
    time.sleep(settle)
    st = c.get_stats(ports=ports)
    sent = sum(st[p]["opackets"] for p in tx_ports)
    recv = sum(st[p]["ipackets"] for p in rx_ports)
    return sent, recv, st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--dir", default="6to4", choices=("6to4", "4to6", "bidir"))
    ap.add_argument("--sizes", default="84,128,256,512,1024,1280,1518")
    ap.add_argument("--trial", type=float, default=10.0, help="seconds per trial (RFC 2544: 60)")
    ap.add_argument("--precision", type=float, default=0.01)
    ap.add_argument("--iterations", type=int, default=12)
    ap.add_argument("--loss-tolerance", type=float, default=0.0, help="fraction (RFC 8219 throughput: 0)")
    ap.add_argument("--line-rate-gbps", type=float, default=10.0)
    ap.add_argument("--flows", type=int, default=254)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait for the last frames (RFC 2544: 2)")
    ap.add_argument("--json", default="")
    a = ap.parse_args()

    tx = {"6to4": [0], "4to6": [1], "bidir": [0, 1]}[a.dir]
    rx = {"6to4": [1], "4to6": [0], "bidir": [0, 1]}[a.dir]
    c = STLClient(server=a.server)
    c.connect()
    results = []
    try:
        c.reset(ports=[0, 1])
        c.set_port_attr(ports=[0, 1], promiscuous=True)
        for size in [int(s) for s in a.sizes.split(",")]:
            c.remove_all_streams(ports=[0, 1])
            for p in (0, 1):
                prof = STLProfile.load_py(os.path.join(HERE, "siit_udp.py"), direction=p, port_id=p,
                                          tunables=["--size", str(size), "--dir", a.dir, "--flows", str(a.flows), "--latency", "0"])
                c.add_streams(prof.get_streams(), ports=[p])
            hi = line_rate_pps(a.line_rate_gbps, size)
            lo, best, steps = 0.0, 0.0, []
            rate = hi
            for i in range(a.iterations + 1):
                sent, recv, _ = trial(c, [0, 1], tx, rx, rate, a.trial, a.settle)
                loss = max(0, sent - recv) / float(sent) if sent else 1.0
                ok = sent > 0 and loss <= a.loss_tolerance
                steps.append({"pps": rate, "sent": sent, "received": recv, "loss": loss, "pass": ok})
                print("size %4d  %12.0f pps  sent %d  recv %d  loss %.4f%%  %s" % (size, rate, sent, recv, 100 * loss, "pass" if ok else "fail"))
                if ok:
                    best = max(best, rate)
                    lo = rate
                    if i == 0:
                        break
                else:
                    hi = rate
                if hi - lo <= a.precision * hi:
                    break
                rate = (lo + hi) / 2
            lat = None
            if best > 0:
                # Latency at the throughput rate: add the payload-tagged stream.
                c.remove_all_streams(ports=[0, 1])
                for p in (0, 1):
                    prof = STLProfile.load_py(os.path.join(HERE, "siit_udp.py"), direction=p, port_id=p,
                                              tunables=["--size", str(size), "--dir", a.dir, "--flows", str(a.flows), "--latency", "1"])
                    c.add_streams(prof.get_streams(), ports=[p])
                _, _, _ = trial(c, [0, 1], tx, rx, best, a.trial, a.settle)
                ls = c.get_pgid_stats().get("latency", {})
                lat = {str(k): v.get("latency", {}) for k, v in ls.items() if isinstance(k, int)}
            results.append({"size": size, "direction": a.dir, "throughput_pps": best,
                            "line_rate_pps": line_rate_pps(a.line_rate_gbps, size), "steps": steps, "latency": lat})
            print("size %4d  throughput %.3f Mpps (%.1f%% of line rate)" % (size, best / 1e6, 100 * best / line_rate_pps(a.line_rate_gbps, size)))
    finally:
        c.stop(ports=[0, 1])
        c.disconnect()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()

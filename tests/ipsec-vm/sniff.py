"""Records every IPv4 and IPv6 packet on an interface (AF_PACKET) until SIGTERM, then writes them
as JSON lines: time, IP protocol (IPv6: the upper-layer header after the extension headers),
addresses and, for UDP and TCP, ports. Run in the UE's namespace on its end of
the link to the P-CSCF.   sniff.py IFNAME OUT.json"""
import json
import select
import signal
import socket
import sys
import time

ifname, out = sys.argv[1], sys.argv[2]
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
raw.bind((ifname, 0))
seen, running = [], [True]
signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
print("READY", flush=True)
while running[0]:
    try:
        r, _, _ = select.select([raw], [], [], 0.2)
    except InterruptedError:
        continue
    if not r:
        continue
    f, addr = raw.recvfrom(65535)
    ethertype = int.from_bytes(f[12:14], "big")
    ip = f[14:]
    if ethertype == 0x0800:
        ihl = (ip[0] & 0x0f) * 4
        p = {"t": time.time(), "proto": ip[9], "src": socket.inet_ntoa(ip[12:16]),
             "dst": socket.inet_ntoa(ip[16:20])}
    elif ethertype == 0x86dd:
        # past the extension headers (hop-by-hop, routing, fragment, destination options):
        # a fragmented ESP packet is ESP
        nh, ihl = ip[6], 40
        while nh in (0, 43, 44, 60) and len(ip) >= ihl + 8:
            nh, ihl = ip[ihl], ihl + (8 if nh == 44 else (ip[ihl + 1] + 1) * 8)
        p = {"t": time.time(), "proto": nh, "src": socket.inet_ntop(socket.AF_INET6, ip[8:24]),
             "dst": socket.inet_ntop(socket.AF_INET6, ip[24:40])}
    else:
        continue
    if p["proto"] in (6, 17):
        p["sport"] = int.from_bytes(ip[ihl:ihl + 2], "big")
        p["dport"] = int.from_bytes(ip[ihl + 2:ihl + 4], "big")
    seen.append(p)
with open(out, "w") as fh:
    for p in seen:
        fh.write(json.dumps(p) + "\n")

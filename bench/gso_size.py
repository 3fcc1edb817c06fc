#!/usr/bin/python3
"""gso_size.py IFNAME SIZE: sets a link's segmentation sizes in the current
network namespace (run it under `ip netns exec`), as vpcd sets its veths:
IFLA_GSO_MAX_SIZE, IFLA_GRO_MAX_SIZE and their IPv4 twins
IFLA_GSO_IPV4_MAX_SIZE (63) and IFLA_GRO_IPV4_MAX_SIZE (64), which
Debian 12's `ip` cannot set.  For bench/dp_run.sh's third baseline."""
import socket
import struct
import sys

RTM_NEWLINK, NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR = 16, 1, 4, 2
IFLA_GSO_MAX_SIZE, IFLA_GRO_MAX_SIZE = 41, 58
IFLA_GSO_IPV4_MAX_SIZE, IFLA_GRO_IPV4_MAX_SIZE = 63, 64


def main():
    name, size = sys.argv[1], int(sys.argv[2])
    attrs = b"".join(struct.pack("HHI", 8, t, size) for t in (
        IFLA_GSO_MAX_SIZE, IFLA_GRO_MAX_SIZE, IFLA_GSO_IPV4_MAX_SIZE, IFLA_GRO_IPV4_MAX_SIZE))
    body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, socket.if_nametoindex(name), 0, 0) + attrs
    msg = struct.pack("IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as s:
        s.send(msg)
        reply = s.recv(4096)
    kind = struct.unpack("H", reply[4:6])[0]
    err = struct.unpack("i", reply[16:20])[0] if kind == NLMSG_ERROR else 0
    if err:
        sys.exit("gso_size.py: %s: %s" % (name, __import__("os").strerror(-err)))


if __name__ == "__main__":
    main()

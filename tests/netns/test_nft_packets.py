"""The compiled nftables ruleset on real packets.

A router namespace, five instance namespaces in two subnets and an edge
namespace (the internet side of the internet gateway) are wired by hand
as the data plane design says: a veth per ENI named as vpcd names it,
the subnet's .1 on the router side, proxy ARP, /32 routes.  The ruleset
comes from the compiler (build/tests/unit/nftc compile MODEL) and is
loaded with dp_nft_apply (nftc apply).  Every assertion is a real TCP
connection between the namespaces, with 1 s timeouts.

Needs root.  Everything lives in namespaces named vpcdtest-<pid>-*, which
the fixture removes, pass or fail; nothing touches the host's namespace.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VPCD_BUILD", os.path.join(ROOT, "build"))
NFTC = os.path.join(BUILD, "tests", "unit", "nftc")
PREFIX = "vpcdtest-%d-" % os.getpid()

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)"),
    pytest.mark.skipif(not os.access(NFTC, os.X_OK), reason="nftc is not built"),
]

PORTS = (80, 81, 82, 8080, 9000)

# The VPC under test.  Subnet a keeps the default ACL; subnet b's ACL
# denies TCP 81 from subnet a (rule 90) before allowing TCP 80-8080 from
# it (rule 100), lets replies to b's connections in on ephemeral ports
# (rule 110: ACLs are stateless); anything else from outside b hits the
# implicit deny.
MODEL = """
vpc v 10.0.0.0/16
igw gv v
subnet a v 10.0.1.0/24
subnet b v 10.0.2.0/24
sg web v
sg app v
rule web in tcp 80 0.0.0.0/0
rule web in tcp 8080 app
revoke-egress app
rule app out tcp 80 10.0.1.0/24
rule app in tcp 8080 web
rule app in tcp 81 0.0.0.0/0
rule app in tcp 9000 0.0.0.0/0
sg client v
rule client in tcp 80 0.0.0.0/0
acl bacl v
entry bacl in 90 deny tcp 81 10.0.1.0/24
entry bacl in 100 allow tcp 80-8080 10.0.1.0/24
entry bacl in 110 allow tcp 32768-65535 10.0.1.0/24
entry bacl out 100 allow tcp 0-65535 10.0.0.0/16
assoc-acl bacl b
eni a1 a 10.0.1.10 groups=web public=198.51.100.10
eni a2 a 10.0.1.11 groups=client
eni b1 b 10.0.2.10 groups=app
eni b2 b 10.0.2.11 groups=client sdc=off
"""

# name -> (subnet gateway, address, prefix length); a3 is wired but not in
# the model: its chains are "not installed yet".
INSTANCES = {
    "a1": ("10.0.1.1", "10.0.1.10", 24),
    "a2": ("10.0.1.1", "10.0.1.11", 24),
    "a3": ("10.0.1.1", "10.0.1.12", 24),
    "b1": ("10.0.2.1", "10.0.2.10", 24),
    "b2": ("10.0.2.1", "10.0.2.11", 24),
}
INTERNET_HOST = "203.0.113.5"

# Listens on the given TCP ports; answers each line with "<peer> <line>".
SERVER = r"""
import socket, sys, threading
def serve(c):
    with c:
        f = c.makefile("rwb", buffering=0)
        for line in f:
            f.write(("%s %s" % (c.getpeername()[0], line.decode())).encode())
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
for p in sys.argv[1:]:
    threading.Thread(target=listen, args=(int(p),), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""

# Connects (from SRC if given), sends a line, prints the answer; with
# "hold", repeats for every line on stdin over the same connection.
CLIENT = r"""
import socket, sys
host, port, src, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "hold"
try:
    s = socket.socket()
    s.settimeout(1.0)
    if src != "-":
        s.bind((src, 0))
    s.connect((host, port))
    f = s.makefile("rwb", buffering=0)
    f.write(b"hello\n")
    print(f.readline().decode().strip() or "CLOSED", flush=True)
    while hold:
        line = sys.stdin.readline()
        if not line:
            break
        f.write(line.encode())
        print(f.readline().decode().strip() or "CLOSED", flush=True)
except OSError as e:
    print("FAIL %s" % e, flush=True)
    sys.exit(1)
"""


def run(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def ns_run(ns, *args, check=True):
    return run("ip", "netns", "exec", ns, *args, check=check)


def eni_ifname(name):
    eni_id = "eni-" + name.rjust(17, "0")
    return "e" + eni_id[-12:]


class Vpc:
    """The hand-wired VPC; every namespace it creates it also removes."""

    def __init__(self):
        self.router = PREFIX + "r"
        self.edge = PREFIX + "edge"
        self.namespaces = []
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix="vpcdtest-nft-")

    def ns(self, name):
        return PREFIX + name

    def add_ns(self, ns):
        run("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        ns_run(ns, "ip", "link", "set", "lo", "up")

    def build(self):
        r = self.router
        self.add_ns(r)
        ns_run(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for name, (gw, addr, plen) in INSTANCES.items():
            ns, rif = self.ns(name), eni_ifname(name)
            self.add_ns(ns)
            ns_run(r, "ip", "link", "add", rif, "type", "veth", "peer", "name", "eth0",
                   "netns", ns)
            ns_run(ns, "ip", "addr", "add", "%s/%d" % (addr, plen), "dev", "eth0")
            ns_run(ns, "ip", "link", "set", "eth0", "up")
            ns_run(ns, "ip", "route", "add", "default", "via", gw)
            ns_run(r, "ip", "addr", "add", gw + "/32", "dev", rif)
            ns_run(r, "ip", "link", "set", rif, "up")
            ns_run(r, "sysctl", "-qw", "net.ipv4.conf.%s.proxy_arp=1" % rif)
            ns_run(r, "sysctl", "-qw", "net.ipv4.neigh.%s.proxy_delay=0" % rif)
            ns_run(r, "ip", "route", "add", addr + "/32", "dev", rif)
        # Extra addresses that only a source/dest-check-free ENI may use:
        # the router routes them, so only nftables can refuse them.
        for name, extra in (("a2", "10.0.1.99"), ("b2", "10.0.2.99")):
            ns_run(self.ns(name), "ip", "addr", "add", extra + "/32", "dev", "eth0")
            ns_run(r, "ip", "route", "add", extra + "/32", "dev", eni_ifname(name))
        # The internet gateway link and an internet host on the edge side.
        e = self.edge
        self.add_ns(e)
        ns_run(r, "ip", "link", "add", "igw0", "type", "veth", "peer", "name", "gvpc",
               "netns", e)
        ns_run(r, "ip", "addr", "add", "169.254.255.1/30", "dev", "igw0")
        ns_run(r, "ip", "link", "set", "igw0", "up")
        ns_run(r, "ip", "route", "add", "default", "via", "169.254.255.2", "dev", "igw0")
        ns_run(e, "ip", "addr", "add", "169.254.255.2/30", "dev", "gvpc")
        ns_run(e, "ip", "addr", "add", INTERNET_HOST + "/32", "dev", "lo")
        ns_run(e, "ip", "link", "set", "gvpc", "up")
        ns_run(e, "ip", "route", "add", "198.51.100.0/24", "via", "169.254.255.1")
        # Also a route to the private range, to show the gateway refuses it.
        ns_run(e, "ip", "route", "add", "10.0.0.0/16", "via", "169.254.255.1")
        for ns in [self.ns(n) for n in INSTANCES] + [e]:
            p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SERVER] +
                                 [str(p) for p in PORTS], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.servers.append(p)
            assert p.stdout.readline().strip() == "ready"

    def compile(self, model):
        path = os.path.join(self.tmp, "model.txt")
        with open(path, "w") as f:
            f.write(model)
        return run(NFTC, "compile", path).stdout

    def load(self, model):
        text = self.compile(model)
        path = os.path.join(self.tmp, "ruleset.nft")
        with open(path, "w") as f:
            f.write(text)
        run(NFTC, "apply", self.router, path)
        return text

    def connect(self, src_ns, host, port, src_addr="-"):
        """The server's answer ("<peer seen> hello"), or None if no connection."""
        r = ns_run(self.ns(src_ns) if src_ns != "edge" else self.edge, sys.executable, "-c",
                   CLIENT, host, str(port), src_addr, "once", check=False)
        return r.stdout.strip() if r.returncode == 0 else None

    def hold(self, src_ns, host, port):
        return subprocess.Popen(["ip", "netns", "exec", self.ns(src_ns), sys.executable, "-c",
                                 CLIENT, host, str(port), "-", "hold"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)

    def destroy(self):
        for p in self.servers:
            p.kill()
            p.wait()
        for ns in reversed(self.namespaces):
            run("ip", "netns", "del", ns, check=False)
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))
        os.rmdir(self.tmp)


@pytest.fixture(scope="module")
def vpc():
    v = Vpc()
    try:
        v.build()
        v.load(MODEL)
        yield v
    finally:
        v.destroy()


@pytest.fixture
def base(vpc):
    """Each test starts from (and leaves) the base ruleset."""
    vpc.load(MODEL)
    yield vpc
    vpc.load(MODEL)


def test_observe_reports_the_applied_hash(base):
    text = base.compile(MODEL)
    r = run(NFTC, "hash", base.router)
    assert "vpcd " + r.stdout.strip() in text


def test_allowed_port_open_others_closed(base):
    assert base.connect("a2", "10.0.1.10", 80) == "10.0.1.11 hello"
    assert base.connect("a2", "10.0.1.10", 9000) is None
    assert base.connect("a2", "10.0.1.10", 82) is None


def test_group_reference(base):
    # app accepts 8080 from members of web (a1) only.
    assert base.connect("a1", "10.0.2.10", 8080) == "10.0.1.10 hello"
    assert base.connect("a2", "10.0.2.10", 8080) is None


def test_egress_restriction(base):
    # app may only send TCP 80 to subnet a: web accepts 8080 from app, yet
    # b1's own egress gate refuses it; and TCP 80 within b is refused too.
    assert base.connect("b1", "10.0.1.10", 80) == "10.0.2.10 hello"
    assert base.connect("b1", "10.0.1.11", 80) == "10.0.2.10 hello"
    assert base.connect("b1", "10.0.1.10", 8080) is None
    assert base.connect("b1", "10.0.2.11", 80) is None


def test_acl_deny_before_allow_and_implicit_deny(base):
    # The group allows 81 and 9000 from anywhere; b's ACL denies 81 from a
    # (rule 90 before rule 100) and has no entry for 9000 (implicit deny).
    assert base.connect("a1", "10.0.2.10", 81) is None
    assert base.connect("a1", "10.0.2.10", 9000) is None
    # Rule 100 lets 8080 from a through (the group reference test) and 80.
    assert base.connect("a1", "10.0.2.10", 8080) is not None


def test_acl_is_stateless(base):
    # Without rule 110 the replies to b1's connection to a1 (to an
    # ephemeral port) fall to b's implicit deny.
    assert base.connect("b1", "10.0.1.10", 80) is not None
    base.load(MODEL.replace("entry bacl in 110 allow tcp 32768-65535 10.0.1.0/24\n", ""))
    assert base.connect("b1", "10.0.1.10", 80) is None


def test_acl_not_applied_inside_subnet(base):
    assert base.connect("b2", "10.0.2.10", 81) == "10.0.2.11 hello"
    assert base.connect("b2", "10.0.2.10", 9000) == "10.0.2.11 hello"


def test_spoofed_source_dropped(base):
    assert base.connect("a2", "10.0.1.10", 80, "10.0.1.11") == "10.0.1.11 hello"
    assert base.connect("a2", "10.0.1.10", 80, "10.0.1.99") is None


def test_source_dest_check_off(base):
    # b2 may send from, and receive for, an address that is not its own.
    assert base.connect("b2", "10.0.2.10", 81, "10.0.2.99") == "10.0.2.99 hello"


def test_eni_without_chains_fails_closed(base):
    # a3 is wired but not in the model: nothing passes, although web
    # accepts TCP 80 from anywhere.
    assert base.connect("a3", "10.0.1.10", 80) is None
    assert base.connect("a1", "10.0.1.12", 80) is None


def test_internet_gateway_nat(base):
    # Outbound: the internet sees the public address.
    assert base.connect("a1", INTERNET_HOST, 8080) == "198.51.100.10 hello"
    # Inbound to the public address reaches the private one.
    assert base.connect("edge", "198.51.100.10", 80, INTERNET_HOST) == INTERNET_HOST + " hello"
    # No public address: no internet.  And no way in to a private address.
    assert base.connect("a2", INTERNET_HOST, 8080) is None
    assert base.connect("edge", "10.0.1.10", 80, INTERNET_HOST) is None
    # The group still decides: web does not accept 9000.
    assert base.connect("edge", "198.51.100.10", 9000, INTERNET_HOST) is None


def test_tracked_connection_survives_rule_removal(base):
    held = base.hold("a2", "10.0.1.10", 80)
    try:
        assert held.stdout.readline().strip() == "10.0.1.11 hello"
        base.load(MODEL.replace("rule web in tcp 80 0.0.0.0/0\n", ""))
        held.stdin.write("still\n")
        held.stdin.flush()
        assert held.stdout.readline().strip() == "10.0.1.11 still"
        assert base.connect("a2", "10.0.1.10", 80) is None
    finally:
        held.kill()
        held.wait()


def test_failed_apply_keeps_the_installed_ruleset(base):
    before = run(NFTC, "hash", base.router).stdout.strip()
    path = os.path.join(base.tmp, "bad.nft")
    with open(path, "w") as f:
        f.write(base.compile(MODEL).replace("tcp dport 8080 accept", "tcp dport 8080 bogus"))
    r = run(NFTC, "apply", base.router, path, check=False)
    assert r.returncode != 0 and "sg_" in r.stderr and "bogus" in r.stderr
    assert run(NFTC, "hash", base.router).stdout.strip() == before
    assert base.connect("a2", "10.0.1.10", 80) == "10.0.1.11 hello"


def test_golden_rulesets_load_and_change_into_each_other():
    """Every golden ruleset loads; and changed into the next by the
    differ's commands (not a replace), a table lists exactly as the next
    one loaded from scratch."""
    golden = os.path.join(os.path.dirname(__file__), "..", "golden", "nft")
    cases = sorted(os.listdir(golden))
    ns = PREFIX + "golden"
    run("ip", "netns", "add", ns)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for c in cases + cases[:1]:
                path = os.path.join(tmp, c + ".nft")
                with open(path, "w") as f:
                    f.write(run(NFTC, "compile", os.path.join(golden, c, "model.txt")).stdout)
                paths.append(path)

            def listing():
                text = ns_run(ns, "nft", "list", "table", "inet", "vpcd").stdout
                return sorted(line.strip() for line in text.splitlines())

            for old, new in zip(paths, paths[1:]):
                ns_run(ns, "nft", "delete", "table", "inet", "vpcd", check=False)
                run(NFTC, "apply", ns, new)
                fresh = listing()
                ns_run(ns, "nft", "delete", "table", "inet", "vpcd")
                run(NFTC, "apply", ns, old)
                r = run(NFTC, "apply", ns, new, old)
                assert r.stdout.strip() == "changed", (old, new, r.stderr)
                assert listing() == fresh, (old, new)
    finally:
        run("ip", "netns", "del", ns, check=False)


def test_big_ruleset_timing():
    """1,000 ENIs, 200 groups, 10,000 rules, 20 ACL entries each way per
    subnet: compile and full apply times (printed; run with -s)."""
    ns = PREFIX + "bench"
    run("ip", "netns", "add", ns)
    try:
        r = run(NFTC, "bench", ns, "1000", "200", "10000", "20")
        res = json.loads(r.stdout)
        print("\nnft bench:", json.dumps(res))
        assert res["observe_ok"]
        assert res["compile_s"] < 1.0
        assert res["apply_replace_s"] < 10.0
        assert res["apply_change_s"] < 1.0
    finally:
        run("ip", "netns", "del", ns, check=False)

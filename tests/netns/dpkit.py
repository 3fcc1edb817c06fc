"""Helpers shared by the real-packet matrix (test_security_groups.py,
test_network_acls.py, test_routes.py, test_elastic_ips.py,
test_instances.py): one data-plane vpcd per module, instances that run an
echo server, and clients that open real TCP connections inside instance
namespaces or on the simulated internet.

Every namespace lives in the module's vpcd, which is stopped and purged
when the module ends (pass or fail), and the module fails if any of its
namespaces is left; processes a test starts by hand (held connections,
sniffers, the internet listener) are its own children and are killed by
pid in a finally.  Nothing here touches the host's namespace.
"""
import os
import select
import subprocess
import time

import pytest

from vpcdtest import VPCCTL, DataplaneDaemon, netns_names, wait_running

IMAGE = "ami-00000000"
INTERNET_HOST = "203.0.113.10"
PORTS = (80, 8080, 9000, 9001)
NEG = 1.0  # timeout of a connection that must fail

# The echo server: greets every connection with "ok\n" (what
# DataplaneDaemon.connects expects), then answers each line with
# "<name> <peer address> <line>", so a client learns which instance
# answered and which source address it saw.  No single quotes: it is
# embedded in a shell script between single quotes.
ECHO_PY = r"""
import socket, threading
NAME = "@NAME@"
def serve(c):
    try:
        peer = c.getpeername()[0]
        c.sendall(b"ok\n")
        for line in c.makefile("rb"):
            c.sendall(("%s %s %s\n" % (NAME, peer, line.decode().strip())).encode())
    except OSError:
        pass
    finally:
        c.close()
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
for p in (@PORTS@):
    threading.Thread(target=listen, args=(p,)).start()
"""


def echo_py(name, ports=PORTS):
    return ECHO_PY.replace("@NAME@", name).replace("@PORTS@", ", ".join(map(str, ports)) + ",")


def echo_user_data(name, ports=PORTS, before=""):
    """User data: runs 'before' (shell), then the echo server."""
    return "#!/bin/sh\n%s\nexec python3 -c '%s'\n" % (before, echo_py(name, ports))


# One exchange: connect, read the greeting, send a line, print the answer.
ASK_PY = r"""
import socket, sys
host, port, timeout, src = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
try:
    s = socket.socket()
    s.settimeout(timeout)
    if src != "-":
        s.bind((src, 0))
    s.connect((host, port))
    f = s.makefile("rwb", buffering=0)
    if f.readline() != b"ok\n":
        sys.exit(1)
    f.write(b"hello\n")
    print(f.readline().decode().strip())
except OSError as e:
    print("FAIL %s" % e, file=sys.stderr)
    sys.exit(1)
"""

# A connection that stays open: prints "connected" after the greeting,
# then sends each line of stdin and prints each answer ("CLOSED" when the
# peer closed, "FAIL ..." on an error).
HOLD_PY = r"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    s = socket.create_connection((host, port), timeout=2)
    s.settimeout(2)
    f = s.makefile("rwb", buffering=0)
    if f.readline() != b"ok\n":
        raise OSError("no greeting")
    print("connected", flush=True)
    for line in sys.stdin:
        f.write(line.encode())
        print(f.readline().decode().strip() or "CLOSED", flush=True)
except OSError as e:
    print("FAIL %s" % e, flush=True)
"""

# Prints the source address of every TCP SYN to PORT that reaches this
# namespace (a raw socket sees it before TCP does, whatever answers it).
SNIFF_PY = r"""
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
print("ready", flush=True)
while True:
    pkt = s.recv(65535)
    ihl = (pkt[0] & 15) * 4
    dport = struct.unpack("!H", pkt[ihl + 2:ihl + 4])[0]
    flags = pkt[ihl + 13]
    if dport == port and flags & 0x02 and not flags & 0x10:
        print(socket.inet_ntoa(pkt[12:16]), flush=True)
"""


def module_daemon():
    """A module-scoped fixture: one data-plane vpcd for the whole module,
    stopped, purged and checked for leftover namespaces at the end."""

    @pytest.fixture(scope="module")
    def dp(tmp_path_factory):
        if os.geteuid() != 0:
            pytest.skip("real-packet tests need root")
        d = DataplaneDaemon(tmp_path_factory.mktemp("vpcd") / "vpcd")
        d.launched = []  # instance ids (their namespaces are named after them)
        try:
            d.start()
            yield d
        finally:
            try:
                d.stop()
            finally:
                d.purge()
                names = netns_names()
                left = [n for n in names if n.startswith("vpcd-%s-" % d.tag)]
                left += [i for i in d.launched if i in names]
                assert not left, "namespaces left behind: %s" % left
    return dp


def eventually(pred, timeout=3.0, interval=0.05):
    """Whether pred() becomes true before the deadline (polls)."""
    deadline = time.time() + timeout
    while True:
        if pred():
            return True
        if time.time() >= deadline:
            return False
        time.sleep(interval)


def tcp(port_from, port_to=None, cidr=None, group=None):
    """One IpPermission for TCP ports, from a CIDR or a group."""
    p = {"IpProtocol": "tcp", "FromPort": port_from,
         "ToPort": port_from if port_to is None else port_to}
    if group:
        p["UserIdGroupPairs"] = [{"GroupId": group}]
    else:
        p["IpRanges"] = [{"CidrIp": cidr or "0.0.0.0/0"}]
    return p


class Net:
    """Builds VPC resources through the API and launches instances that run
    the echo server; remembers each instance's name, id and addresses."""

    def __init__(self, dp):
        self.dp = dp
        self.ec2 = dp.client()

    def vpc(self, cidr):
        return self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]

    def subnet(self, vpc, cidr, map_public=False):
        sn = self.ec2.create_subnet(VpcId=vpc, CidrBlock=cidr,
                                    AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        if map_public:
            self.ec2.modify_subnet_attribute(SubnetId=sn, MapPublicIpOnLaunch={"Value": True})
        return sn

    def igw(self, vpc):
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        return igw

    def route_table(self, vpc, igw=None, subnets=()):
        rtb = self.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        if igw:
            self.ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                                  GatewayId=igw)
        for sn in subnets:
            self.ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
        return rtb

    def group(self, vpc, name, ingress=(), egress=None):
        """A group with these ingress permissions; egress None keeps the
        default allow-all rule, a list replaces it."""
        g = self.ec2.create_security_group(VpcId=vpc, GroupName=name,
                                           Description=name)["GroupId"]
        if ingress:
            self.ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=list(ingress))
        if egress is not None:
            self.ec2.revoke_security_group_egress(GroupId=g, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            if egress:
                self.ec2.authorize_security_group_egress(GroupId=g, IpPermissions=list(egress))
        return g

    def launch(self, name, subnet, groups, public=None, ip=None, user_data=None,
               wait=True):
        """Launches one instance running the echo server (answering with
        'name'); returns a dict: name, id, ip, public, eni."""
        nic = {"DeviceIndex": 0, "SubnetId": subnet, "Groups": list(groups)}
        if public is not None:
            nic["AssociatePublicIpAddress"] = public
        if ip:
            nic["PrivateIpAddress"] = ip
        iid = self.ec2.run_instances(
            ImageId=IMAGE, MinCount=1, MaxCount=1, NetworkInterfaces=[nic],
            UserData=user_data or echo_user_data(name))["Instances"][0]["InstanceId"]
        self.dp.launched.append(iid)
        inst = {"name": name, "id": iid}
        if wait:
            self.wait(inst)
        return inst

    def describe(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

    def wait(self, *insts):
        """Waits until the instances run and their echo servers listen;
        fills in their addresses."""
        wait_running(self.ec2, [i["id"] for i in insts])
        for inst in insts:
            d = self.describe(inst["id"])
            inst["ip"] = d["PrivateIpAddress"]
            inst["public"] = d.get("PublicIpAddress")
            inst["eni"] = d["NetworkInterfaces"][0]["NetworkInterfaceId"]
            assert eventually(lambda: self.dp.connects(inst["id"], "127.0.0.1", PORTS[0],
                                                       timeout=0.5), timeout=10), \
                "%s: the echo server did not start" % inst["name"]

    def state(self, iid):
        return self.describe(iid)["State"]["Name"]

    def wait_state(self, iid, state, timeout=20):
        assert eventually(lambda: self.state(iid) == state, timeout, 0.1), \
            "%s is %s, not %s" % (iid, self.state(iid), state)


def src_of(src):
    return "internet" if src == "internet" else src["id"]


def connects(dp, src, ip, port, timeout=1.5):
    """A TCP connection from an instance dict (or "internet") opens and
    greets."""
    return dp.connects(src_of(src), ip, port, timeout=timeout)


def blocked(dp, src, ip, port):
    """A TCP connection fails (1 s timeout)."""
    return not dp.connects(src_of(src), ip, port, timeout=NEG)


def ask(dp, src, ip, port, timeout=1.5, bind="-"):
    """One exchange with the echo server at ip:port; returns its answer
    "<name> <peer address as the server saw it> hello", or None."""
    cmd = ["/usr/bin/python3", "-c", ASK_PY, ip, str(port), str(timeout), bind]
    r = dp.internet(*cmd) if src == "internet" else dp.run_in(src["id"], *cmd)
    return r.stdout.strip() if r.returncode == 0 else None


class Proc:
    """A helper process in an instance namespace (or on the internet host)
    with line-oriented stdin/stdout; vpcctl execs the command in place, so
    the child is the command itself and kill() ends it."""

    def __init__(self, dp, where, *cmd):
        target = ["internet"] if where == "internet" else ["exec", where["id"]]
        self.p = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir] + target + ["--"]
                                  + list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def readline(self, timeout=3.0):
        """The next output line, or None after 'timeout' seconds."""
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return None
        line = self.p.stdout.readline()
        return line.strip() if line else None

    def lines(self, duration):
        """Every line printed in the next 'duration' seconds."""
        out, deadline = [], time.time() + duration
        while True:
            left = deadline - time.time()
            if left <= 0:
                return out
            line = self.readline(left)
            if line is None:
                if self.p.poll() is not None:
                    return out
                continue
            out.append(line)

    def send(self, line, timeout=3.0):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.readline(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except OSError:
                pass


def hold(dp, src, ip, port):
    """Opens a TCP connection that stays open; returns its Proc after the
    greeting, or fails the test."""
    p = Proc(dp, src, "/usr/bin/python3", "-c", HOLD_PY, ip, str(port))
    first = p.readline(5)
    if first != "connected":
        p.kill()
        raise AssertionError("the held connection did not open: %r" % first)
    return p


def internet_listener(dp, ports):
    """The echo server on the simulated internet host, named "internet"."""
    p = Proc(dp, "internet", "/usr/bin/python3", "-c", echo_py("internet", ports))
    if not eventually(lambda: dp.connects("internet", "127.0.0.1", ports[0], timeout=0.5),
                      timeout=10):
        p.kill()
        raise AssertionError("the internet listener did not start")
    return p

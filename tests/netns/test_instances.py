"""Instances on real packets: user data runs at every boot with its output
on the console, stop ends the instance's processes, start boots it again,
terminate removes its namespace; vpcctl exec runs commands inside.

One vpcd and one VPC (10.50.0.0/16, one subnet, a group admitting all TCP
from the VPC) for the module; a long-lived client k; every lifecycle test
launches an instance of its own."""
import base64
import subprocess
import time

import pytest

from dpkit import PORTS, Net, blocked, connects, echo_user_data, eventually, module_daemon, tcp
from vpcdtest import netns_names

VPC_CIDR = "10.50.0.0/16"

dp = module_daemon()


@pytest.fixture(scope="module")
def net(dp):
    n = Net(dp)
    n.vpc_id = n.vpc(VPC_CIDR)
    n.sn = n.subnet(n.vpc_id, "10.50.1.0/24")
    n.open = n.group(n.vpc_id, "open", [tcp(0, 65535, cidr=VPC_CIDR)])
    n.k = n.launch("k", n.sn, [n.open])
    return n


def console(net, iid):
    out = net.ec2.get_console_output(InstanceId=iid).get("Output") or ""
    # boto3 decodes the base64 Output; tolerate a client that does not.
    if out and "\n" not in out:
        try:
            out = base64.b64decode(out, validate=True).decode(errors="replace")
        except ValueError:
            pass
    return out


def test_user_data_runs_and_writes_the_console(dp, net):
    u = net.launch("u", net.sn, [net.open],
                   user_data=echo_user_data("u", before="echo user-data-ran as uid $(id -u)"))
    assert eventually(lambda: "user-data-ran as uid" in console(net, u["id"]), 5), \
        console(net, u["id"])
    assert "user-data-ran as uid 0" not in console(net, u["id"]), "user data must not run as root"
    assert connects(dp, net.k, u["ip"], 80)


def test_exec_passes_exit_status_and_output_through(dp, net):
    k = net.k
    r = dp.run_in(k["id"], "sh", "-c", "echo hi; echo oops >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "hi\n", "oops\n")
    r = dp.run_in(k["id"], "ip", "-o", "-4", "addr", "show", "dev", "eth0")
    assert r.returncode == 0 and " %s/24 " % k["ip"] in r.stdout, r.stdout
    assert dp.run_in(k["id"], "id", "-u").stdout == "0\n"
    r = dp.run_in("i-0123456789abcdef0", "true")
    assert r.returncode != 0 and "i-0123456789abcdef0" in r.stderr


def test_stop_ends_the_processes(dp, net):
    ec2 = net.ec2
    s = net.launch("s", net.sn, [net.open])
    assert connects(dp, net.k, s["ip"], 80)
    ec2.stop_instances(InstanceIds=[s["id"]])
    net.wait_state(s["id"], "stopped")
    assert blocked(dp, net.k, s["ip"], 80)
    for port in PORTS[1:]:
        assert blocked(dp, net.k, s["ip"], port)
    r = dp.run_in(s["id"], "true")
    assert r.returncode != 0
    assert s["id"] in r.stderr and "stopped" in r.stderr, r.stderr
    if s["id"] in netns_names():
        pids = subprocess.run(["ip", "netns", "pids", s["id"]], capture_output=True,
                              text=True).stdout.split()
        assert pids == [], "processes still run in the stopped instance: %s" % pids


def test_stopped_instance_answers_nothing(dp, net):
    """A stopped instance is powered off: no echo reply, no TCP reset; a
    connection attempt times out instead of being refused."""
    icmp = net.group(net.vpc_id, "ping", [tcp(0, 65535, cidr=VPC_CIDR), {
        "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1,
        "IpRanges": [{"CidrIp": VPC_CIDR}]}])
    s = net.launch("s4", net.sn, [icmp])
    assert dp.run_in(net.k["id"], "ping", "-c", "1", "-W", "1", s["ip"]).returncode == 0
    net.ec2.stop_instances(InstanceIds=[s["id"]])
    net.wait_state(s["id"], "stopped")
    assert dp.run_in(net.k["id"], "ping", "-c", "1", "-W", "1", s["ip"]).returncode != 0, \
        "the stopped instance answers ping"
    r = dp.run_in(net.k["id"], "python3", "-c", (
        "import socket, sys\n"
        "try:\n"
        "    socket.create_connection((%r, 80), timeout=1)\n"
        "except ConnectionRefusedError:\n"
        "    sys.exit(3)\n"
        "except OSError:\n"
        "    sys.exit(0)\n"
        "sys.exit(1)\n") % s["ip"])
    assert r.returncode == 0, "the stopped instance %s" % (
        "refused the connection (TCP reset)" if r.returncode == 3 else "accepted a connection")


def test_stop_lets_processes_shut_down_on_sigterm(dp, net):
    """Stopping an instance is a shutdown: its processes get SIGTERM and
    may clean up (here: a service, the user data itself, that writes the
    console on SIGTERM)."""
    ud = ("#!/usr/bin/python3\n"
          "import signal, sys, time\n"
          "def bye(*a):\n"
          "    print(\"got-sigterm\", flush=True)\n"
          "    sys.exit(0)\n"
          "signal.signal(signal.SIGTERM, bye)\n"
          "print(\"service-up\", flush=True)\n"
          "while True:\n"
          "    time.sleep(0.1)\n")
    t = net.launch("t", net.sn, [net.open], user_data=ud, wait=False)
    net.wait_state(t["id"], "running")
    assert eventually(lambda: "service-up" in console(net, t["id"]), 5), console(net, t["id"])
    net.ec2.stop_instances(InstanceIds=[t["id"]])
    net.wait_state(t["id"], "stopped")
    assert "got-sigterm" in console(net, t["id"]), console(net, t["id"])


def test_start_runs_user_data_again(dp, net):
    ec2 = net.ec2
    s = net.launch("s2", net.sn, [net.open],
                   user_data=echo_user_data("s2", before="echo boot-marker"))
    assert console(net, s["id"]).count("boot-marker") == 1
    ec2.stop_instances(InstanceIds=[s["id"]])
    net.wait_state(s["id"], "stopped")
    assert blocked(dp, net.k, s["ip"], 80)
    ec2.start_instances(InstanceIds=[s["id"]])
    net.wait_state(s["id"], "running")
    assert eventually(lambda: connects(dp, net.k, s["ip"], 80), 10), \
        "the listener did not come back after start"
    assert eventually(lambda: console(net, s["id"]).count("boot-marker") == 2, 5), \
        console(net, s["id"])
    assert dp.run_in(s["id"], "true").returncode == 0


def test_terminate_removes_the_namespace(dp, net):
    ec2 = net.ec2
    s = net.launch("s3", net.sn, [net.open])
    assert s["id"] in netns_names()
    assert connects(dp, net.k, s["ip"], 80)
    ec2.terminate_instances(InstanceIds=[s["id"]])
    net.wait_state(s["id"], "terminated")
    assert eventually(lambda: s["id"] not in netns_names(), 3), "the namespace is still there"
    assert blocked(dp, net.k, s["ip"], 80)
    r = dp.run_in(s["id"], "true")
    assert r.returncode != 0 and s["id"] in r.stderr and "terminated" in r.stderr, r.stderr


def test_guest_network_config_survives_reconcile(dp, net):
    """The guest owns its interface configuration, as in AWS: an address
    and a route added inside the instance stay (they simply carry no
    traffic the VPC does not route to the instance)."""
    g = net.launch("g", net.sn, [net.open])
    assert dp.run_in(g["id"], "ip", "addr", "add", "10.50.1.250/32", "dev", "eth0").returncode == 0
    assert dp.run_in(g["id"], "ip", "route", "add", "192.0.2.0/24", "via", "10.50.1.1",
                     "dev", "eth0").returncode == 0
    time.sleep(4)  # a full reconcile pass runs every 3 s
    addrs = dp.run_in(g["id"], "ip", "-o", "-4", "addr", "show", "dev", "eth0").stdout
    routes = dp.run_in(g["id"], "ip", "-4", "route", "show").stdout
    assert "10.50.1.250/32" in addrs, addrs
    assert "192.0.2.0/24" in routes, routes

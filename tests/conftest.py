"""Fixtures for every test: daemons that are always stopped (and, for the
data plane, purged) when the test ends, pass or fail.  The helpers they use
live in vpcdtest.py."""
import os

import pytest

from vpcdtest import Daemon, DataplaneDaemon, netns_names


@pytest.fixture
def make_daemon(tmp_path):
    """Factory for daemons; all are stopped at the end of the test."""
    started = []

    def make(name="vpcd", args=()):
        d = Daemon(tmp_path / name, args)
        started.append(d)
        return d

    yield make
    errors = []
    for d in started:
        try:
            d.stop()
        except AssertionError as e:
            errors.append(e)
    if errors:
        raise errors[0]


@pytest.fixture
def vpcd(make_daemon):
    """A running vpcd with a fresh data directory."""
    return make_daemon().start()


@pytest.fixture
def ec2(vpcd):
    """boto3 EC2 client for the administrator account."""
    return vpcd.client()


@pytest.fixture
def make_dp_daemon(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("real-packet tests need root")
    started = []

    def make(name="vpcd", args=()):
        d = DataplaneDaemon(tmp_path / name, args)
        started.append(d)
        return d

    yield make
    leftovers = []
    for d in started:
        d.stop()
        d.purge()
        left = [n for n in netns_names() if n.startswith("vpcd-%s-" % d.tag)]
        leftovers.extend(left)
    assert not leftovers, "namespaces left behind: %s" % leftovers


@pytest.fixture
def dp(make_dp_daemon):
    return make_dp_daemon().start()

"""GET /metrics: vpcd's request counters and latency histograms in the
Prometheus text format, without a signature."""
import urllib.error
import urllib.request

from vpcdtest import fails


def requests(m, action, status):
    return m.get(("vpcd_api_requests_total", (("action", action), ("status", status))), 0)


def test_request_counters_and_histograms(vpcd, ec2):
    before = vpcd.metrics()
    assert requests(before, "DescribeVpcs", "200") == 0
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    fails("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])
    fails("InvalidVpc.Range", ec2.create_vpc, CidrBlock="10.0.0.0/8")
    m = vpcd.metrics()
    assert requests(m, "DescribeVpcs", "200") == 2
    assert requests(m, "DescribeVpcs", "400") == 1
    assert requests(m, "CreateVpc", "200") == 1
    assert requests(m, "CreateVpc", "400") == 1
    # The histogram: cumulative buckets ending in +Inf, equal to the count.
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                     if k[0] == "vpcd_api_request_duration_seconds_bucket"
                     and dict(k[1])["action"] == "DescribeVpcs")
    assert buckets[-1][0] == float("inf") and buckets[-1][1] == 3
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    count = m[("vpcd_api_request_duration_seconds_count", (("action", "DescribeVpcs"),))]
    total = m[("vpcd_api_request_duration_seconds_sum", (("action", "DescribeVpcs"),))]
    assert count == 3 and 0 < total < 5
    # An unsigned request is counted under no action.
    req = urllib.request.Request(vpcd.endpoint + "/", data=b"Action=DescribeVpcs")
    try:
        urllib.request.urlopen(req, timeout=5)
    except urllib.error.HTTPError as e:
        assert e.code in (400, 401, 403)
        status = str(e.code)
    assert requests(vpcd.metrics(), "none", status) >= 1
    # Without a data plane there are no gateway samples, only the families.
    assert not [k for k in m if k[0].startswith("vpcd_nat_gateway_")]


def test_metrics_path_can_be_moved_or_turned_off(make_daemon):
    d = make_daemon(args=["--set", "metrics-path=/private/metrics"]).start()
    d.client().describe_vpcs()
    assert requests(d.metrics("/private/metrics"), "DescribeVpcs", "200") == 1
    try:
        urllib.request.urlopen(d.endpoint + "/metrics", timeout=5)
        raise AssertionError("the old path still answers")
    except urllib.error.HTTPError as e:
        assert e.code != 200
    d.stop()
    off = make_daemon(name="off", args=["--set", "metrics-path="]).start()
    try:
        urllib.request.urlopen(off.endpoint + "/metrics", timeout=5)
        raise AssertionError("metrics answered although turned off")
    except urllib.error.HTTPError as e:
        assert e.code != 200

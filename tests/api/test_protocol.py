"""The EC2 Query protocol itself: errors and their XML, request ids,
booleans, DryRun, pagination, request limits, slow clients and parameter
decoding."""
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest

from vpcdtest import error_code, http_status

CTYPE = "application/x-www-form-urlencoded; charset=utf-8"


def http(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data.encode() if isinstance(data, str) else data,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def call(vpcd, body, query=""):
    """POSTs a signed form body (and optional query string); returns
    (status, headers, body)."""
    key, secret = vpcd.keys()
    url = vpcd.endpoint + "/" + ("?" + query if query else "")
    req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body,
                                         headers={"Content-Type": CTYPE})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                            "ec2", "us-east-1").add_auth(req)
    return http(req.url, data=req.body, headers=dict(req.headers.items()), method="POST")


def form(action, **params):
    p = {"Action": action, "Version": "2016-11-15"}
    p.update(params)
    return urllib.parse.urlencode(p)


def code_of(body):
    m = re.search(r"<Code>([^<]*)</Code>", body)
    return m.group(1) if m else None


def still_serving(vpcd):
    return vpcd.client().describe_vpcs()["ResponseMetadata"]["HTTPStatusCode"] == 200


# --- Errors ----------------------------------------------------------------

def test_unknown_action_is_invalid_action(vpcd):
    status, _, body = call(vpcd, form("FlyToTheMoon"))
    assert status == 400
    assert code_of(body) == "InvalidAction"


def test_unknown_parameter(vpcd):
    status, _, body = call(vpcd, form("DescribeVpcs", Colour="blue"))
    assert status == 400
    assert code_of(body) == "UnknownParameter"


def test_missing_required_parameter(vpcd):
    status, _, body = call(vpcd, form("DeleteVpc"))
    assert status == 400
    assert code_of(body) == "MissingParameter"


def test_missing_required_parameter_create_subnet(vpcd):
    status, _, body = call(vpcd, form("CreateSubnet", CidrBlock="10.0.0.0/24"))
    assert status == 400
    assert code_of(body) == "MissingParameter"


def test_error_body_shape(vpcd):
    status, headers, body = call(vpcd, form("DeleteVpc", VpcId="vpc-0123456789abcdef0"))
    assert status == 400
    m = re.fullmatch(
        r'(<\?xml[^>]*\?>\s*)?<Response><Errors><Error><Code>InvalidVpcID\.NotFound</Code>'
        r'<Message>[^<]+</Message></Error></Errors><RequestID>([^<]+)</RequestID></Response>\s*',
        body)
    assert m, body
    assert headers["x-amzn-RequestId"] == m.group(2)


def test_request_id_header_equals_body(vpcd):
    status, headers, body = call(vpcd, form("DescribeVpcs"))
    assert status == 200
    m = re.search(r"<requestId>([^<]+)</requestId>", body)
    assert m
    assert headers["x-amzn-RequestId"] == m.group(1)


def test_request_ids_are_unique(vpcd):
    ids = {call(vpcd, form("DescribeVpcs"))[1]["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_success_body_namespace(vpcd):
    _, _, body = call(vpcd, form("DescribeVpcs"))
    assert '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' in body


def test_booleans_are_lowercase(vpcd, ec2):
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    _, _, body = call(vpcd, form("DescribeVpcs"))
    assert "<isDefault>false</isDefault>" in body
    values = re.findall(r"<isDefault>([^<]*)</isDefault>", body)
    assert values == ["false"]
    _, _, body = call(vpcd, form("DescribeRouteTables"))
    assert re.findall(r"<main>([^<]*)</main>", body) == ["true"]


def test_operation_without_output_answers_return_true(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    status, _, body = call(vpcd, form("DeleteVpc", VpcId=vpc))
    assert status == 200
    assert "<return>true</return>" in body


# --- DryRun ----------------------------------------------------------------

def test_dry_run_create(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/16", DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert http_status(e) == 412
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_route_tables()["RouteTables"] == []


def test_dry_run_delete(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc(VpcId=vpc, DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert http_status(e) == 412
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == [vpc]


def test_dry_run_describe(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert http_status(e) == 412


def test_dry_run_create_tags_changes_nothing(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v"}], DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert "Tags" not in ec2.describe_vpcs()["Vpcs"][0] or \
        ec2.describe_vpcs()["Vpcs"][0]["Tags"] == []


def test_dry_run_with_invalid_parameter_returns_validation_error(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/29", DryRun=True)
    assert error_code(e) == "InvalidVpc.Range"


def test_dry_run_delete_unknown_returns_not_found(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc(VpcId="vpc-0123456789abcdef0", DryRun=True)
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_dry_run_delete_with_dependency_returns_dependency_violation(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc(VpcId=vpc, DryRun=True)
    assert error_code(e) == "DependencyViolation"


def test_dry_run_does_not_stick_to_next_request(ec2):
    with pytest.raises(botocore.exceptions.ClientError):
        ec2.create_vpc(CidrBlock="10.0.0.0/16", DryRun=True)
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1


# --- Pagination ------------------------------------------------------------

def walk(fn, key, idkey, max_results=5, between=None):
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxResults": max_results}
        if token:
            kw["NextToken"] = token
        r = fn(**kw)
        assert len(r[key]) <= max_results
        seen += [x[idkey] for x in r[key]]
        pages += 1
        token = r.get("NextToken")
        if not token:
            return seen, pages
        if between:
            between(pages)


def test_describe_vpcs_pages(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=20"]).start()
    ec2 = d.client()
    ids = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(12)]
    seen, pages = walk(ec2.describe_vpcs, "Vpcs", "VpcId")
    assert pages == 3
    assert seen == ids


def test_describe_vpcs_exact_last_page_has_no_token(ec2):
    for i in range(5):
        ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)
    r = ec2.describe_vpcs(MaxResults=5)
    assert len(r["Vpcs"]) == 5
    assert "NextToken" not in r


def test_describe_vpcs_pages_while_creating(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=40"]).start()
    ec2 = d.client()
    ids = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(12)]

    def more(page):
        ids.append(ec2.create_vpc(CidrBlock="10.%d.0.0/16" % (100 + page))["Vpc"]["VpcId"])
    seen, pages = walk(ec2.describe_vpcs, "Vpcs", "VpcId", between=more)
    assert len(seen) == len(set(seen))
    assert set(ids[:12]) <= set(seen)
    assert seen == ids


def test_describe_vpcs_pages_while_deleting(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=40"]).start()
    ec2 = d.client()
    ids = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(12)]
    deleted = []

    def less(page):
        deleted.append(ids[page - 1])
        ec2.delete_vpc(VpcId=ids[page - 1])
    seen, pages = walk(ec2.describe_vpcs, "Vpcs", "VpcId", between=less)
    assert len(seen) == len(set(seen))
    assert set(ids) - set(deleted) <= set(seen)


def test_describe_subnets_pages(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i)["Subnet"]["SubnetId"]
           for i in range(11)]

    def more(page):
        ids.append(ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (100 + page))[
            "Subnet"]["SubnetId"])
    seen, pages = walk(ec2.describe_subnets, "Subnets", "SubnetId", between=more)
    assert seen == ids


def test_describe_subnets_pages_with_filter(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    want = []
    for i in range(12):
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i,
                               AvailabilityZone="us-east-1" + "ab"[i % 2])["Subnet"]
        if i % 2 == 0:
            want.append(sn["SubnetId"])
    seen, _ = walk(lambda **kw: ec2.describe_subnets(Filters=[
        {"Name": "availability-zone", "Values": ["us-east-1a"]}], **kw), "Subnets", "SubnetId")
    assert seen == want


@pytest.mark.parametrize("n", [0, 4, 1001])
def test_describe_vpcs_max_results_out_of_range(vpcd, n):
    ec2 = vpcd.client(parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(MaxResults=n)
    assert error_code(e) == "InvalidParameterValue"


def test_describe_subnets_max_results_below_five(vpcd):
    ec2 = vpcd.client(parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_subnets(MaxResults=4)
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.parametrize("token", ["garbage", "vpcd1.", "vpcd1.zz", "vpcd1.1x"])
def test_describe_vpcs_bad_token(ec2, token):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(NextToken=token)
    assert http_status(e) == 400
    assert error_code(e) in ("InvalidNextToken", "InvalidParameterValue")


def test_describe_vpcs_max_results_with_ids(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(VpcIds=[vpc], MaxResults=5)
    assert error_code(e) == "InvalidParameterCombination"


def test_describe_subnets_max_results_with_ids(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_subnets(SubnetIds=[sn], MaxResults=5)
    assert error_code(e) == "InvalidParameterCombination"


def test_boto3_paginator(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=20"]).start()
    ec2 = d.client()
    ids = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(13)]
    pages = list(ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Vpcs"]) for p in pages] == [5, 5, 3]
    assert [v["VpcId"] for p in pages for v in p["Vpcs"]] == ids


# --- Limits and slow clients -----------------------------------------------

def raw_exchange(vpcd, head, body=b"", timeout=10):
    """Sends raw bytes; returns what came back (b"" if the server closed)."""
    s = socket.create_connection(("127.0.0.1", vpcd.port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(head)
            if body:
                s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                if b"\r\n\r\n" in got:
                    h, _, rest = got.partition(b"\r\n\r\n")
                    m = re.search(rb"content-length:\s*(\d+)", h, re.I)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    finally:
        s.close()
    return got


def status_of(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def test_body_over_one_mib_is_refused(vpcd):
    body = b"Action=DescribeVpcs&Version=2016-11-15&Pad=" + b"x" * (1024 * 1024 + 16)
    head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    got = raw_exchange(vpcd, head, body)
    assert got == b"" or status_of(got) == 413
    assert still_serving(vpcd)


def test_huge_header_block_is_refused(vpcd):
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for i in range(70):
        head += b"X-Pad-%d: %s\r\n" % (i, b"y" * 1010)
    head += b"Content-Length: 0\r\n\r\n"
    got = raw_exchange(vpcd, head)
    assert got == b"" or status_of(got) in (400, 413, 431)
    assert still_serving(vpcd)


def test_half_request_does_not_block_others(vpcd, ec2):
    s = socket.create_connection(("127.0.0.1", vpcd.port))
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\nAction=De")
        start = time.monotonic()
        assert ec2.describe_vpcs()["Vpcs"] == []
        assert time.monotonic() - start < 2
    finally:
        s.close()


def test_many_half_requests_do_not_block_others(vpcd, ec2):
    socks = []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", vpcd.port))
            s.sendall(b"POST / HTTP/1.1\r\nHost: 1")
            socks.append(s)
        start = time.monotonic()
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
        assert len(ec2.describe_vpcs()["Vpcs"]) == 1
        assert time.monotonic() - start < 2
    finally:
        for s in socks:
            s.close()


def test_concurrent_clients(vpcd):
    errors = []
    # boto3's default session is not thread-safe: make the clients first.
    clients = [vpcd.client() for _ in range(8)]

    def worker(c):
        try:
            for _ in range(10):
                c.describe_vpcs()
        except Exception as e:  # noqa
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_garbage_request_line_does_not_kill_daemon(vpcd):
    raw_exchange(vpcd, b"\x00\x01\x02 garbage\r\n\r\n", timeout=3)
    assert still_serving(vpcd)


# --- Parameter decoding ----------------------------------------------------

def test_query_string_and_body_parameters_are_merged(vpcd, ec2):
    status, _, body = call(vpcd, "CidrBlock=10.7.0.0%2F16",
                           query="Action=CreateVpc&Version=2016-11-15")
    assert status == 200, body
    assert [v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]] == ["10.7.0.0/16"]


def tag_value_roundtrip(vpcd, ec2, encoded):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    body = "Action=CreateTags&Version=2016-11-15&ResourceId.1=%s&Tag.1.Key=Name&Tag.1.Value=%s" \
        % (vpc, encoded)
    status, _, resp = call(vpcd, body)
    assert status == 200, resp
    return ec2.describe_vpcs()["Vpcs"][0]["Tags"][0]["Value"]


def test_plus_decodes_to_space(vpcd, ec2):
    assert tag_value_roundtrip(vpcd, ec2, "hello+big+world") == "hello big world"


def test_percent_20_decodes_to_space(vpcd, ec2):
    assert tag_value_roundtrip(vpcd, ec2, "hello%20big%20world") == "hello big world"


def test_percent_2b_decodes_to_plus(vpcd, ec2):
    assert tag_value_roundtrip(vpcd, ec2, "a%2Bb") == "a+b"


def test_utf8_percent_encoded(vpcd, ec2):
    assert tag_value_roundtrip(vpcd, ec2, "%C3%BC%E5%90%8D") == "ü名"


def test_list_parameters_out_of_order(vpcd, ec2):
    a = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    status, _, body = call(vpcd, "VpcId.2=%s&Action=DescribeVpcs&VpcId.1=%s&Version=2016-11-15"
                           % (b, a))
    assert status == 200
    assert sorted(re.findall(r"<vpcId>([^<]+)</vpcId>", body)) == sorted([a, b])


def test_body_under_the_limit_is_processed(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    body = form("CreateTags", **{"ResourceId.1": vpc, "Tag.1.Key": "big",
                                 "Tag.1.Value": "v" * (600 * 1024)})
    status, _, resp = call(vpcd, body)
    assert status == 400
    assert code_of(resp) == "InvalidParameterValue"


def test_moderate_header_block_is_accepted(vpcd):
    key, secret = vpcd.keys()
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=vpcd.endpoint + "/", data=form("DescribeVpcs"),
        headers={"Content-Type": CTYPE, **{"X-Pad-%d" % i: "z" * 500 for i in range(16)}})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                            "ec2", "us-east-1").add_auth(req)
    status, _, body = http(req.url, data=req.body, headers=dict(req.headers.items()),
                           method="POST")
    assert status == 200, body


def test_get_request_with_authorization_header(vpcd):
    key, secret = vpcd.keys()
    req = botocore.awsrequest.AWSRequest(
        method="GET", url=vpcd.endpoint + "/?" + form("DescribeVpcs"))
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                            "ec2", "us-east-1").add_auth(req)
    status, _, body = http(req.url, headers=dict(req.headers.items()))
    assert status == 200, body
    assert "<DescribeVpcsResponse" in body


def test_missing_action(vpcd):
    status, _, body = call(vpcd, "Version=2016-11-15")
    assert status == 400
    assert code_of(body) in ("MissingAction", "MissingParameter", "InvalidAction")


@pytest.mark.parametrize("params,bad", [({"MaxResults": "abc"}, "MaxResults"),
                                        ({"DryRun": "yes"}, "DryRun")])
def test_malformed_scalar_parameter(vpcd, params, bad):
    status, _, body = call(vpcd, form("DescribeVpcs", **params))
    assert status == 400
    assert code_of(body) == "InvalidParameterValue"
    assert bad in body


def test_concurrent_creates_respect_the_quota(vpcd):
    results = []
    lock = threading.Lock()
    clients = [vpcd.client() for _ in range(12)]

    def worker(i):
        try:
            clients[i].create_vpc(CidrBlock="10.%d.0.0/16" % i)
            out = "ok"
        except botocore.exceptions.ClientError as e:
            out = e.response["Error"]["Code"]
        with lock:
            results.append(out)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 5
    assert results.count("VpcLimitExceeded") == 7
    assert len(vpcd.client().describe_vpcs()["Vpcs"]) == 5

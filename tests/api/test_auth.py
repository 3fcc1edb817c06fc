"""SigV4 authentication as EC2 does it: missing, unknown and wrong
credentials, clock skew, presigned URLs and tampered requests."""
import datetime
import re
import time
import types
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

BODY = "Action=DescribeVpcs&Version=2016-11-15"
CTYPE = "application/x-www-form-urlencoded; charset=utf-8"


def http(url, data=None, headers=None, method=None):
    """(status, headers, body) of one request; 4xx/5xx are answers too."""
    req = urllib.request.Request(url, data=data.encode() if isinstance(data, str) else data,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def signed(vpcd, body=BODY, keys=None, skew=None, region="us-east-1", service="ec2"):
    """A botocore-signed POST request; 'skew' shifts the signing clock."""
    key, secret = keys or vpcd.keys()
    req = botocore.awsrequest.AWSRequest(method="POST", url=vpcd.endpoint + "/", data=body,
                                         headers={"Content-Type": CTYPE})
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                                     service, region)
    if skew is None:
        signer.add_auth(req)
    else:
        class Clock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return datetime.datetime.utcnow() + skew
        with mock.patch.object(botocore.auth, "datetime",
                               types.SimpleNamespace(datetime=Clock)):
            signer.add_auth(req)
    return req


def send(vpcd, req, body=None):
    return http(req.url, data=body if body is not None else req.body,
                headers=dict(req.headers.items()), method=req.method)


def code_of(body):
    m = re.search(r"<Code>([^<]*)</Code>", body)
    return m.group(1) if m else None


def test_signed_request_works(vpcd):
    status, _, body = send(vpcd, signed(vpcd))
    assert status == 200
    assert "<DescribeVpcsResponse" in body


def test_unsigned_request_is_missing_authentication_token(vpcd):
    status, _, body = http(vpcd.endpoint + "/", data=BODY, headers={"Content-Type": CTYPE})
    assert status == 401
    assert code_of(body) == "MissingAuthenticationToken"


def test_unknown_access_key_is_auth_failure(vpcd):
    status, _, body = send(vpcd, signed(vpcd, keys=("AKIAAAAAAAAAAAAAAAAA", "x" * 40)))
    assert status == 401
    assert code_of(body) == "AuthFailure"


def test_wrong_secret_is_auth_failure(vpcd):
    key, _ = vpcd.keys()
    status, _, body = send(vpcd, signed(vpcd, keys=(key, "y" * 40)))
    assert status == 401
    assert code_of(body) == "AuthFailure"


def test_wrong_secret_with_boto3(vpcd):
    import botocore.exceptions
    key, _ = vpcd.keys()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        vpcd.client((key, "y" * 40)).describe_vpcs()
    assert e.value.response["Error"]["Code"] == "AuthFailure"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_request_signed_16_minutes_ago_is_expired(vpcd):
    status, _, body = send(vpcd, signed(vpcd, skew=-datetime.timedelta(minutes=16)))
    assert status == 400
    assert code_of(body) == "RequestExpired"


def test_request_signed_16_minutes_ahead_is_expired(vpcd):
    status, _, body = send(vpcd, signed(vpcd, skew=datetime.timedelta(minutes=16)))
    assert status == 400
    assert code_of(body) == "RequestExpired"


def test_request_signed_14_minutes_ago_is_accepted(vpcd):
    status, _, body = send(vpcd, signed(vpcd, skew=-datetime.timedelta(minutes=14)))
    assert status == 200, body


def test_tampered_body_is_auth_failure(vpcd):
    req = signed(vpcd, body=BODY + "&VpcId.1=vpc-0123456789abcdef0")
    status, _, body = send(vpcd, req, body=BODY + "&VpcId.1=vpc-0123456789abcdef1")
    assert status == 401
    assert code_of(body) == "AuthFailure"


def test_tampered_signed_header_is_auth_failure(vpcd):
    req = signed(vpcd)
    headers = dict(req.headers.items())
    headers["X-Amz-Date"] = headers["X-Amz-Date"][:-3] + "00Z"
    if headers["X-Amz-Date"] == req.headers["X-Amz-Date"]:
        headers["X-Amz-Date"] = headers["X-Amz-Date"][:-3] + "01Z"
    status, _, body = http(req.url, data=req.body, headers=headers, method="POST")
    assert status in (400, 401)
    assert code_of(body) in ("AuthFailure", "SignatureDoesNotMatch")


def test_wrong_service_in_scope_is_refused(vpcd):
    status, _, body = send(vpcd, signed(vpcd, service="s3"))
    assert status in (400, 401, 403)
    assert code_of(body) is not None


def test_malformed_authorization_header(vpcd):
    status, _, body = http(vpcd.endpoint + "/", data=BODY, headers={
        "Content-Type": CTYPE, "Authorization": "AWS4-HMAC-SHA256 garbage"})
    assert status in (400, 401)
    assert code_of(body) in ("IncompleteSignature", "AuthFailure")


def test_presigned_get_works(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    url = ec2.generate_presigned_url("describe_vpcs", Params={"VpcIds": [vpc]},
                                     ExpiresIn=300, HttpMethod="GET")
    status, _, body = http(url)
    assert status == 200, body
    assert "<vpcId>%s</vpcId>" % vpc in body


def test_presigned_url_with_tampered_parameter_fails(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    url = ec2.generate_presigned_url("describe_vpcs", Params={"VpcIds": [vpc]},
                                     ExpiresIn=300, HttpMethod="GET")
    status, _, body = http(url.replace(vpc, "vpc-0123456789abcdef0"))
    assert status == 401
    assert code_of(body) == "AuthFailure"


def test_presigned_url_past_its_expiry_is_expired(vpcd, ec2):
    url = ec2.generate_presigned_url("describe_vpcs", ExpiresIn=1, HttpMethod="GET")
    time.sleep(2.5)
    status, _, body = http(url)
    assert status == 400
    assert code_of(body) == "RequestExpired"

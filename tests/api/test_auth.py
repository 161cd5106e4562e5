"""``stepfn serve --auth sigv4``: AWS Signature Version 4, checked as AWS checks it.

A real uvicorn server with signing on, driven by boto3, raw HTTP and the AWS CLI.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import FakeExecutionService, serve_in_thread  # tests/api is not a package

from stepfn.api import ApiConfig, create_app
from stepfn.api.auth import load_access_keys
from stepfn.api.server import _is_loopback, make_verifier
from stepfn.settings import Settings
from stepfn.store import SqliteStore

KEY, SECRET = "AKIDSTEPFNTEST", "s3cr3t/with+chars"
OTHER_KEY, OTHER_SECRET = "AKIDSECOND", "another-secret"


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "access-keys"
    path.write_text(f"# stepfn access keys\n{KEY} {SECRET}\n\n{OTHER_KEY}  {OTHER_SECRET}  # ops\n")
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, keys_file: Path) -> Iterator[str]:
    db = tmp_path_factory.mktemp("auth") / "stepfn.db"
    store = SqliteStore(str(db), synchronous="NORMAL")
    config = ApiConfig(region="us-east-1", account="123456789012", strict_errors=True,
                       auth="sigv4", access_keys_file=str(keys_file))
    app = create_app(store, FakeExecutionService(store), config)
    with serve_in_thread(app) as base:
        yield base


def client(url: str, key: str = KEY, secret: str = SECRET, **config: object):
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, **config))


def error_of(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return (err["Error"]["Code"], err["Error"]["Message"],
            err["ResponseMetadata"]["HTTPStatusCode"])


def test_both_keys_of_the_file_are_accepted(url: str) -> None:
    assert client(url).list_state_machines()["stateMachines"] == []
    assert client(url, OTHER_KEY, OTHER_SECRET).list_activities()["activities"] == []


def test_a_signed_write_then_read_works(url: str) -> None:
    sfn = client(url)
    arn = sfn.create_activity(name="signed")["activityArn"]
    assert sfn.describe_activity(activityArn=arn)["name"] == "signed"


def test_wrong_secret_is_invalid_signature(url: str) -> None:
    code, message, status = error_of(client(url, KEY, "not-the-secret").list_state_machines)
    assert code == "InvalidSignatureException" and status == 400
    assert message.startswith("The request signature we calculated does not match the "
                              "signature you provided.")


def test_unknown_key_is_unrecognized_client(url: str) -> None:
    code, message, status = error_of(client(url, "AKIDNOBODY", SECRET).list_state_machines)
    assert (code, message, status) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.", 403)


def test_unsigned_request_is_missing_token(url: str) -> None:
    code, message, status = error_of(
        client(url, signature_version=UNSIGNED).list_state_machines)
    assert (code, message, status) == ("MissingAuthenticationTokenException",
                                       "Missing Authentication Token", 403)


def _skewed(minutes: float):
    real = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return mock.patch("botocore.auth.get_current_datetime",
                      lambda: real + datetime.timedelta(minutes=minutes))


def test_signature_older_than_five_minutes_has_expired(url: str) -> None:
    sfn = client(url)
    with _skewed(-6):
        code, message, status = error_of(sfn.list_state_machines)
    assert code == "InvalidSignatureException" and status == 400
    assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)")


def test_signature_from_the_future_is_not_yet_current(url: str) -> None:
    sfn = client(url)
    with _skewed(+6):
        code, message, _ = error_of(sfn.list_state_machines)
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature not yet current: ")


def test_small_clock_skew_is_accepted(url: str) -> None:
    sfn = client(url)
    with _skewed(-4):
        assert "stateMachines" in sfn.list_state_machines()


def _signed(url: str, body: bytes, target: str = "ListStateMachines",
            region: str = "us-east-1", service: str = "states") -> AWSRequest:
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AWSStepFunctions.{target}"})
    SigV4Auth(Credentials(KEY, SECRET), service, region).add_auth(request)
    return request


def _send(url: str, headers: dict, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_raw_signed_request_succeeds_and_tampered_body_fails(url: str) -> None:
    signed = _signed(url, b"{}")
    status, _ = _send(url + "/", dict(signed.headers), b"{}")
    assert status == 200
    status, body = _send(url + "/", dict(signed.headers), b'{"maxResults": 1}')
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_content_sha256_header_must_match_the_body(url: str) -> None:
    signed = _signed(url, b"{}")
    headers = dict(signed.headers)
    headers["X-Amz-Content-SHA256"] = "0" * 64
    status, body = _send(url + "/", headers, b"{}")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


@pytest.mark.parametrize("region,service,fragment", [
    ("eu-west-1", "states", "valid region"),
    ("us-east-1", "lambda", "correct service: 'states'"),
])
def test_credential_scope_must_name_this_region_and_states(url: str, region: str,
                                                           service: str,
                                                           fragment: str) -> None:
    signed = _signed(url, b"{}", region=region, service=service)
    status, body = _send(url + "/", dict(signed.headers), b"{}")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert fragment in body["message"]


@pytest.mark.parametrize("authorization,code", [
    ("AWS4-HMAC-SHA256 Credential=AKIDSTEPFNTEST/20240101/us-east-1/states/aws4_request",
     "IncompleteSignature"),
    ("Basic dXNlcjpwYXNz", "IncompleteSignature"),
    ("AWS4-HMAC-SHA256 Credential=nonsense, SignedHeaders=host, Signature=00",
     "IncompleteSignature"),
])
def test_malformed_authorization_is_incomplete_signature(url: str, authorization: str,
                                                         code: str) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "Authorization": authorization,
               "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
               "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
    status, body = _send(url + "/", headers, b"{}")
    assert (status, body["__type"]) == (400, code)


def test_presigned_query_string_request(url: str) -> None:
    request = AWSRequest(method="POST", url=url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    SigV4QueryAuth(Credentials(KEY, SECRET), "states", "us-east-1", 60).add_auth(request)
    assert "X-Amz-Signature=" in request.url and "Authorization" not in request.headers
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
    status, _ = _send(request.url, headers, b"")
    assert status == 200
    status, body = _send(request.url.replace("X-Amz-Signature=", "X-Amz-Signature=0"),
                         headers, b"")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


@pytest.mark.skipif(shutil.which("aws") is None and not
                    (Path(sys.executable).parent / "aws").exists(), reason="no AWS CLI")
def test_aws_cli_with_right_and_wrong_keys(url: str, tmp_path: Path) -> None:
    aws = shutil.which("aws") or str(Path(sys.executable).parent / "aws")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    ok = subprocess.run([aws, "stepfunctions", "list-activities", "--endpoint-url", url],
                        env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "activities" in json.loads(ok.stdout)
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    bad = subprocess.run([aws, "stepfunctions", "list-activities", "--endpoint-url", url],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr


def test_keys_file_format(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_text("A1 s1\n# comment\n  A2\ts2  # trailing\n")
    assert load_access_keys(good) == {"A1": "s1", "A2": "s2"}
    bad = tmp_path / "bad"
    bad.write_text("A1 s1\nonly-a-key\n")
    with pytest.raises(ValueError, match=":2:"):
        load_access_keys(bad)


def test_auth_mode_is_checked_before_serving(tmp_path: Path) -> None:
    assert make_verifier(ApiConfig()) is None
    with pytest.raises(ValueError, match="--access-keys"):
        make_verifier(ApiConfig(auth="sigv4"))
    with pytest.raises(ValueError, match="unknown auth mode"):
        make_verifier(ApiConfig(auth="basic"))
    env = {"STEPFN_AUTH": "sigv4", "STEPFN_ACCESS_KEYS_FILE": "/k"}
    config = ApiConfig.from_settings(Settings.load(environ=env))
    assert (config.auth, config.access_keys_file) == ("sigv4", "/k")


def test_loopback_detection() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("10.1.2.3")


def test_serve_warns_on_a_public_address_without_auth(tmp_path: Path) -> None:
    script = ("import stepfn.api.server as s, uvicorn\n"
              "uvicorn.run = lambda *a, **k: None\n"
              f"s.serve(s.ApiConfig(host='0.0.0.0', port=0, db_path={str(tmp_path / 'db')!r}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "without authentication" in warnings[0]


@pytest.mark.parametrize("args,fragment", [
    (["--auth", "sigv4"], "--access-keys"),
    (["--auth", "sigv4", "--access-keys", "/nonexistent/keys"], "/nonexistent/keys"),
    (["--http-allow", "10.0.0.0/99"], "not a host or network"),
])
def test_serve_refuses_bad_security_options(args: list[str], fragment: str,
                                            tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "stepfn.cli", "serve", "--port", "1",
                           "--db", str(tmp_path / "db"), *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "STEPFN_HTTP_ALLOW": ""})
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and fragment in done.stderr
    assert "Traceback" not in done.stderr


def _signed_without(url: str, body: bytes, unsigned: dict[str, str]) -> dict[str, str]:
    """Headers of a request signed with ``unsigned`` added only after signing."""
    request = AWSRequest(method="POST", url=url + "/", data=body)
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    return {**dict(request.headers), **unsigned}


def test_a_request_whose_signature_leaves_out_the_target_cannot_be_retargeted(
        url: str) -> None:
    """DescribeExecution signed without X-Amz-Target, replayed as StopExecution: the
    same body, the same signature, refused; the execution keeps running."""
    sfn = client(url)
    machine = sfn.create_state_machine(
        name="retarget", roleArn="arn:aws:iam::123456789012:role/r",
        definition='{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"],
                              input='{"hold": true}')["executionArn"]
    body = json.dumps({"executionArn": arn}).encode()
    for operation in ("DescribeExecution", "StopExecution"):
        headers = _signed_without(url, body, {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AWSStepFunctions.{operation}"})
        assert "x-amz-target" not in headers["Authorization"].lower()
        status, answer = _send(url + "/", headers, body)
        assert (status, answer["__type"]) == (400, "InvalidSignatureException")
        assert answer["message"] == ("'X-Amz-Target' must be a 'SignedHeader' in the AWS "
                                     "Authorization.")
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"


def test_every_x_amz_header_must_be_signed(url: str) -> None:
    signed = dict(_signed(url, b"{}").headers)
    assert _send(url + "/", signed, b"{}")[0] == 200
    status, answer = _send(url + "/", {**signed, "X-Amz-Extra": "1"}, b"{}")
    assert (status, answer["message"]) == (
        400, "'X-Amz-Extra' must be a 'SignedHeader' in the AWS Authorization.")
    # Other unsigned headers are allowed, as every SDK sends some (User-Agent), and so
    # is an unsigned Content-Type (aws4fetch never signs it, and AWS accepts that).
    assert _send(url + "/", {**signed, "X-Custom": "1"}, b"{}")[0] == 200
    request = AWSRequest(method="POST", url=url + "/", data=b"{}", headers={
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    headers = {**dict(request.headers), "Content-Type": "application/x-amz-json-1.0"}
    assert _send(url + "/", headers, b"{}")[0] == 200


def test_a_signed_header_missing_from_the_request_is_incomplete(url: str) -> None:
    signed = dict(_signed(url, b"{}").headers)
    signed["Authorization"] = signed["Authorization"].replace(
        "SignedHeaders=", "SignedHeaders=accept;")
    status, answer = _send(url + "/", signed, b"{}")
    assert (status, answer["__type"]) == (400, "IncompleteSignature")
    assert answer["message"] == ("'accept' is named as a SignedHeader, but it does not "
                                 "exist in the HTTP request.")


def test_many_signed_headers_verify(url: str) -> None:
    """Each signed header's values are found by name once (not by a scan of every
    header per name): 2,000 signed headers verify, and a changed one does not."""
    extra = {f"X-Header-{i}": str(i) for i in range(2000)}
    request = AWSRequest(method="POST", url=url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines", **extra})
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    headers = dict(request.headers)
    assert headers["Authorization"].count(";x-header-") == 2000
    assert _send(url + "/", headers, b"{}")[0] == 200
    status, answer = _send(url + "/", {**headers, "X-Header-7": "changed"}, b"{}")
    assert (status, answer["__type"]) == (400, "InvalidSignatureException")

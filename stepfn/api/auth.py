"""AWS Signature Version 4 checking for ``stepfn serve --auth sigv4``.

The expected signature is computed by botocore's own signer (``SigV4Auth``) over the
request as received, so the canonical request is built exactly as the SDKs build it;
this module only parses what the client sent, looks up the secret, checks the scope and
the clock, and compares in constant time.

The error codes and messages are those of AWS's JSON-protocol services (Step Functions
answers as DynamoDB, Lambda and the others built on the same front end do):
``MissingAuthenticationTokenException``, ``IncompleteSignature``,
``UnrecognizedClientException`` and ``InvalidSignatureException``.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stepfn.api.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "states"
MAX_SKEW_SECONDS = 5 * 60  # AWS rejects a signature dated more than 5 minutes off
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # SigV4's longest X-Amz-Expires

SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature "
                      "you provided. Check your AWS Secret Access Key and signing method. "
                      "Consult the service documentation for details.")


def missing_token() -> ApiError:
    return ApiError("MissingAuthenticationTokenException", "Missing Authentication Token",
                    403)


def incomplete(message: str) -> ApiError:
    return ApiError("IncompleteSignature", message, 400)


def unrecognized() -> ApiError:
    return ApiError("UnrecognizedClientException",
                    "The security token included in the request is invalid.", 403)


def invalid_signature(message: str = SIGNATURE_MISMATCH) -> ApiError:
    return ApiError("InvalidSignatureException", message, 400)


def load_access_keys(path: str | Path) -> dict[str, str]:
    """``ACCESS_KEY_ID SECRET_ACCESS_KEY`` pairs, one a line; ``#`` starts a comment.

    Raises ValueError naming the line when a line is not such a pair, so a typo in the
    file stops the server at start rather than locking every client out.
    """
    keys: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{number}: expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY'")
        keys[parts[0]] = parts[1]
    if not keys:
        raise ValueError(f"{path}: no access keys")
    return keys


@dataclass(frozen=True)
class SignedRequest:
    """What a client claims in its signature: header or presigned query form."""

    access_key: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date, ISO 8601 basic (20240102T030405Z)
    expires: int | None = None  # presigned only


class _SignedHeaderValues(dict[str, list[str]]):
    """The signed headers' values by name, in the shape botocore's ``canonical_headers``
    reads (names on iteration, ``get_all(name)``). ``HTTPHeaders.get_all`` scans every
    header for each name, quadratic in a request's header count; this is linear."""

    def get_all(self, name: str) -> list[str]:
        return self[name]


class _ExpectedSigner(SigV4Auth):
    """botocore's SigV4 signer, signing exactly the headers the client said it signed
    (botocore's own list drops a few, e.g. User-Agent, that other SDKs may sign)."""

    def __init__(self, credentials: Credentials, region: str, signed: Iterable[str],
                 received: list[tuple[str, str]]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = list(signed)
        self._received = received

    def headers_to_sign(self, request: AWSRequest) -> _SignedHeaderValues:
        by_name: dict[str, list[str]] = {}
        for key, value in self._received:
            by_name.setdefault(key, []).append(value)
        return _SignedHeaderValues({name: by_name[name] for name in self._signed
                                    if name in by_name})


class SigV4Verifier:
    """Checks the SigV4 signature of API requests against a set of access keys."""

    def __init__(self, keys: Mapping[str, str], region: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.keys = dict(keys)
        self.region = region
        self.clock = clock

    def verify(self, method: str, path: str, query: str,
               headers: list[tuple[str, str]], body: bytes) -> str:
        """The access key of a correctly signed request; ApiError otherwise.

        ``headers`` are (lower-case name, value) pairs as received.
        """
        params = parse_qsl(query, keep_blank_values=True)
        authorization = [v for k, v in headers if k == "authorization"]
        presigned = any(k == "X-Amz-Algorithm" for k, _ in params)
        if authorization:
            claim = _parse_authorization(authorization[0], headers)
        elif presigned:
            claim = _parse_presigned(params, headers)
        else:
            raise missing_token()
        secret = self.keys.get(claim.access_key)
        if secret is None:
            raise unrecognized()
        self._check_scope(claim)
        self._check_clock(claim)
        signed_query = "&".join(p for p in query.split("&")
                                if p and not p.startswith("X-Amz-Signature="))
        expected = self._expected(claim, secret, method, path, signed_query, headers, body,
                                  presigned and not authorization)
        if not hmac.compare_digest(expected.encode(), claim.signature.encode()):
            raise invalid_signature()
        return claim.access_key

    def _check_scope(self, claim: SignedRequest) -> None:
        if claim.date != claim.timestamp[:8]:
            raise invalid_signature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{claim.date}' != '{claim.timestamp[:8]}', from "
                f"'{claim.timestamp}'.")
        if claim.region != self.region:
            raise invalid_signature(f"Credential should be scoped to a valid region, not "
                                    f"'{claim.region}'. ")
        if claim.service != SERVICE:
            raise invalid_signature(
                f"Credential should be scoped to correct service: '{SERVICE}'. ")

    def _check_clock(self, claim: SignedRequest) -> None:
        try:
            signed_at = calendar.timegm(time.strptime(claim.timestamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise incomplete("Date must be in ISO-8601 'basic format'. Got "
                             f"'{claim.timestamp}'. See "
                             "http://en.wikipedia.org/wiki/ISO_8601") from None
        now = self.clock()
        if claim.expires is not None:  # presigned: valid from signing until expiry
            if now > signed_at + claim.expires:
                raise invalid_signature(
                    f"Signature expired: {claim.timestamp} is now earlier than "
                    f"{_stamp(now - claim.expires)} ({_stamp(now)} - {claim.expires} sec.)")
            if signed_at > now + MAX_SKEW_SECONDS:
                raise invalid_signature(_not_yet_current(claim.timestamp, now))
            return
        if signed_at < now - MAX_SKEW_SECONDS:
            raise invalid_signature(
                f"Signature expired: {claim.timestamp} is now earlier than "
                f"{_stamp(now - MAX_SKEW_SECONDS)} ({_stamp(now)} - 5 min.)")
        if signed_at > now + MAX_SKEW_SECONDS:
            raise invalid_signature(_not_yet_current(claim.timestamp, now))

    def _expected(self, claim: SignedRequest, secret: str, method: str, path: str,
                  query: str, headers: list[tuple[str, str]], body: bytes,
                  presigned: bool) -> str:
        host = next((v for k, v in headers if k == "host"), "localhost")
        url = f"http://{host}{path}" + (f"?{query}" if query else "")
        content_sha = next((v for k, v in headers if k == "x-amz-content-sha256"), None)
        if content_sha is not None and content_sha != "UNSIGNED-PAYLOAD" and (
                not hmac.compare_digest(content_sha, hashlib.sha256(body).hexdigest())):
            raise ApiError("InvalidSignatureException", "The provided 'x-amz-content-sha256' "
                           "header does not match what was computed.", 400)
        request = AWSRequest(method=method, url=url, data=body)
        if content_sha is not None:
            request.headers["X-Amz-Content-SHA256"] = content_sha
        request.context["timestamp"] = claim.timestamp
        signer = _ExpectedSigner(Credentials(claim.access_key, secret), claim.region,
                                 claim.signed_headers, headers)
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request)


def _parse_authorization(value: str, headers: list[tuple[str, str]]) -> SignedRequest:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, field_value = part.strip().partition("=")
        if eq:
            fields[name] = field_value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in fields]
    if missing:
        raise incomplete(" ".join(
            f"Authorization header requires '{n}' parameter." for n in missing)
            + f" Authorization={value[:200]}")
    timestamp = next((v for k, v in headers if k == "x-amz-date"), None)
    if timestamp is None:
        raise incomplete("Authorization header requires existence of either a 'X-Amz-Date' "
                         "or a 'Date' header.")
    claim = _claim(fields["Credential"], tuple(fields["SignedHeaders"].split(";")),
                   fields["Signature"], timestamp.strip())
    _check_signed_headers(claim.signed_headers, headers)
    return claim


def _check_signed_headers(signed: tuple[str, ...], headers: list[tuple[str, str]]) -> None:
    """The signature must cover what says what the request does: ``host`` and every
    ``x-amz-*`` header (SigV4's canonical request rules). Without this a request signed
    without ``x-amz-target`` could be replayed as another operation on the same body
    (DescribeExecution as StopExecution). AWS's JSON services answer a missing ``host``
    with InvalidSignatureException and this wording; an ``x-amz-*`` header gets the
    same. ``content-type`` may go unsigned, as AWS lets it (aws4fetch, which the UI
    signs with, never signs it); it does not choose the operation."""
    covered = set(signed)
    present = {k for k, _ in headers}
    if "host" not in covered:
        raise invalid_signature("'Host' or ':authority' must be a 'SignedHeader' in the "
                                "AWS Authorization.")
    for name in sorted(present - covered):
        if name.startswith("x-amz-"):
            raise invalid_signature(f"'{_display_name(name)}' must be a 'SignedHeader' in "
                                    "the AWS Authorization.")
    for name in signed:
        if name not in present:
            raise incomplete(f"'{name}' is named as a SignedHeader, but it does not exist "
                             "in the HTTP request.")


def _display_name(header: str) -> str:
    """``x-amz-target`` as ``X-Amz-Target``, the way AWS's messages spell headers."""
    return "-".join(part.capitalize() for part in header.split("-"))


def _parse_presigned(params: list[tuple[str, str]],
                     headers: list[tuple[str, str]]) -> SignedRequest:
    values = dict(params)
    needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
              "X-Amz-Signature", "X-Amz-Expires")
    missing = [n for n in needed if n not in values]
    if missing:
        raise incomplete(f"AWS query-string parameters missing: {', '.join(missing)}.")
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise incomplete(f"Unsupported AWS 'algorithm': '{values['X-Amz-Algorithm']}'")
    try:
        expires = int(values["X-Amz-Expires"])
    except ValueError:
        raise incomplete("X-Amz-Expires must be a number of seconds.") from None
    if not 0 < expires <= MAX_PRESIGN_EXPIRES:
        raise incomplete("X-Amz-Expires must be between 1 and 604800 seconds.")
    claim = _claim(values["X-Amz-Credential"], tuple(values["X-Amz-SignedHeaders"].split(";")),
                   values["X-Amz-Signature"], values["X-Amz-Date"])
    _check_signed_headers(claim.signed_headers, headers)
    return SignedRequest(**{**claim.__dict__, "expires": expires})


def _claim(credential: str, signed: tuple[str, ...], signature: str,
           timestamp: str) -> SignedRequest:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise incomplete(f"Credential should have the form 'KEY/DATE/REGION/SERVICE/"
                         f"aws4_request', not '{credential[:200]}'.")
    return SignedRequest(parts[0], parts[1], parts[2], parts[3], signed, signature,
                         timestamp)


def _stamp(when: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))


def _not_yet_current(timestamp: str, now: float) -> str:
    return (f"Signature not yet current: {timestamp} is still later than "
            f"{_stamp(now + MAX_SKEW_SECONDS)} ({_stamp(now)} + 5 min.)")

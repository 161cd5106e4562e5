"""The UI against a server that checks AWS Signature Version 4 (``--auth sigv4``): the
browser signs its API calls and its feed requests with the keys entered in Settings."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.ui.conftest import LIVE, ROLE, _free_port, execution_url

KEY, SECRET = "AKIDUITESTS0000000001", "ui-tests-secret/with+odd=chars"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("signed")
    keys = folder / "keys"
    keys.write_text(f"{KEY} {SECRET}\n")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port), "--db",
         str(folder / "s.db"), "--auth", "sigv4", "--access-keys", str(keys),
         "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_browser_signs_api_calls_and_the_feed(browser: Any, signed_server: str) -> None:
    sfn = boto3.client("stepfunctions", endpoint_url=signed_server, region_name="us-east-1",
                       aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    arn = sfn.create_state_machine(name="signed-demo", definition=json.dumps(LIVE),
                                   roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    context = browser.new_context(base_url=signed_server)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        # Unsigned, the server refuses: the page says so in a sentence (the code is
        # kept on the element, not shown).
        page.goto("/")
        alert = page.locator('[role="alert"]')
        assert alert.get_attribute("data-code") == "MissingAuthenticationTokenException"
        assert "enter an access key under Settings" in alert.inner_text()
        assert "Exception" not in alert.inner_text()
        # With a wrong secret: the signature is refused.
        page.goto("/settings")
        page.fill('input[name="accessKeyId"]', KEY)
        page.fill('input[name="secretAccessKey"]', "wrong")
        page.click('button[type="submit"]')
        status = page.locator('[role="status"]')
        assert status.get_attribute("data-code") == "InvalidSignatureException"
        assert "signature" in status.inner_text() and "Exception" not in status.inner_text()
        page.fill('input[name="secretAccessKey"]', SECRET)
        page.click('button[type="submit"]')
        page.wait_for_selector('[role="status"].ok')
        page.goto("/")
        page.wait_for_selector('tr[data-machine="signed-demo"]')
        # The execution page reads the feed with signed requests too.
        page.goto(execution_url(run))
        page.wait_for_selector('[data-state="Done"][data-status="succeeded"]', timeout=20_000)
        assert page.get_attribute('[data-state="Charge"]', "data-status") == "caught"
        # The keys stay in this tab's session only.
        stored = page.evaluate("sessionStorage.getItem('stepfn.credentials')")
        assert json.loads(stored)["accessKeyId"] == KEY
        assert page.evaluate("localStorage.length") == 0
    finally:
        context.close()
    other = browser.new_context(base_url=signed_server)
    try:
        fresh = other.new_page()
        fresh.goto("/settings")
        assert fresh.input_value('input[name="accessKeyId"]') == ""
    finally:
        other.close()


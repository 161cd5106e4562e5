"""DNS rebinding in a real Chromium: a page served under a foreign name that resolves
to 127.0.0.1 (``--host-resolver-rules``) can neither create nor list state machines;
the same script on the server's own address can."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import CHROMIUM, ROLE, _require_chromium

ATTACK = """<!doctype html><meta charset="utf-8"><title>attack</title><script>
async function call(operation, body) {
  const res = await fetch('/', {method: 'POST', body: JSON.stringify(body), headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'AWSStepFunctions.' + operation}});
  return {status: res.status, body: await res.text()};
}
window.outcome = (async () => ({
  created: await call('CreateStateMachine', {name: NAME, roleArn: ROLE, definition:
    JSON.stringify({StartAt: 'A', States: {A: {Type: 'Pass', End: true}}})}),
  listed: await call('ListStateMachines', {}),
}))();
</script>"""


@pytest.fixture(scope="module")
def rebinding_browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP rebind.test 127.0.0.1",
            # A browser without Private Network Access (Firefox, Safari, older
            # Chromium): the rebound page may call the loopback address.
            "--disable-features=PrivateNetworkAccessSendPreflights,"
            "PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,"
            "LocalNetworkAccessChecks"])
        yield chromium
        chromium.close()


def _attack(browser: Any, origin: str, name: str) -> dict:
    """Load the attacker's page at ``origin`` (the page itself comes from the
    attacker's server: served here by Playwright), run its script, return its
    outcome."""
    context = browser.new_context()
    try:
        page = context.new_page()
        html = ATTACK.replace("NAME", json.dumps(name)).replace("ROLE", json.dumps(ROLE))
        page.route(f"{origin}/attack.html",
                   lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto(f"{origin}/attack.html")
        return page.evaluate("window.outcome")
    finally:
        context.close()


def test_a_page_under_another_name_can_neither_create_nor_list(
        rebinding_browser: Any, ui_server: str, sfn: Any) -> None:
    port = urlsplit(ui_server).port
    outcome = _attack(rebinding_browser, f"http://rebind.test:{port}", "rebound")
    for answer in (outcome["created"], outcome["listed"]):
        assert answer["status"] == 403, answer
        assert json.loads(answer["body"])["__type"] == "AccessDeniedException"
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert "rebound" not in names
    # The same script from the server's own origin works: the check is the name only.
    own = _attack(rebinding_browser, f"http://127.0.0.1:{port}", "own-origin")
    assert own["created"]["status"] == 200 and own["listed"]["status"] == 200
    assert "own-origin" in [m["name"] for m in json.loads(own["listed"]["body"])[
        "stateMachines"]]
    sfn.delete_state_machine(stateMachineArn=json.loads(own["created"]["body"])[
        "stateMachineArn"])

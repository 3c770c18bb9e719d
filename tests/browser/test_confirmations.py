"""An action that takes effect at once asks first (confirm.js, data-confirm): declined,
nothing is sent; accepted, it is done."""

from __future__ import annotations

import pytest

from tests.browser.test_flows import log_in

pytestmark = pytest.mark.browser


def test_revoking_a_token_asks_first(page, live):
    log_in(page, live, "physician")
    page.goto(f"{live.url}/account/tokens")
    page.fill("#name", "Export script")
    page.locator("main form.card button[type=submit]").click()
    row = page.locator("tr", has_text="Export script")
    asked: list[str] = []

    def decline(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_timeout(300)
    assert asked and "Revoke the token Export script?" in asked[0]
    assert "active" in page.locator("tr", has_text="Export script").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.get_by_role("button", name="Revoke").click()
    assert "revoked" in page.locator("tr", has_text="Export script").inner_text()

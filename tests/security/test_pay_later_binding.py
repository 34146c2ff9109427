"""Hole 10: the nozzle page renders quote labels (promotion names among them) as text."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_nozzle_page_renders_quote_labels_as_text(client, driver, store_line):
    """Hole 10: the live quote put its labels (promotion names among them) into innerHTML."""
    client.force_login(driver.user)
    page = client.get("/s/pay-test/1/").content.decode()
    assert 'id="quote-live"' in page
    assert "innerHTML" not in page and "textContent" in page

"""The widget of one tenant in a real Chromium: its offices only, its colour on the buttons."""

from __future__ import annotations

import json
import time

import redis
from playwright.sync_api import expect

from tests.conftest import ALWAYS
from virtual_office.queue import Office, Tenant, keys

READY = "virtual-office[data-ready]"
OFFICES_CACHED = 5.5
ENABLED_JOIN = """host => {
  const button = document.createElement('button');
  button.className = 'join';
  host.shadowRoot.querySelector('li.office').appendChild(button);
  const colour = getComputedStyle(button).backgroundColor;
  button.remove();
  return colour;
}"""


def _seed(url: str, site_origin: str) -> None:
    """Tenant Passau, its office and its website, written as the directories write them (a sync client:
    Playwright's own loop runs here)."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        client.hset(keys.TENANTS, "passau", json.dumps(Tenant("passau", "Stadt Passau", "09262000", colour="#8a1538").to_config()))
        office = Office.from_config({"id": "pa-meldeamt", "name": "Passauer Meldeamt", "hours": ALWAYS, "tenant": "passau"})
        client.set(keys.office(office.id), json.dumps(office.to_config()))
        client.zadd(keys.OFFICES, {office.id: 10})
        client.sadd(keys.allowed_origins("passau"), site_origin)
    finally:
        client.close()


def test_a_tenant_widget_shows_its_offices_in_its_colour(env, page):
    _seed(env.redis.url, env.site.origin)
    time.sleep(OFFICES_CACHED)  # the server's office directory keeps its copy this long
    page.goto(env.site.url("/pages/tenant.html"))
    page.wait_for_selector(READY)
    offices = page.locator("li.office")
    expect(offices).to_have_count(1)
    assert offices.evaluate_all("rows => rows.map(r => r.dataset.office)") == ["pa-meldeamt"]
    # Nobody is on duty, so the button is disabled and keeps the disabled look; an enabled one takes the colour.
    expect(page.locator("li.office .join")).to_have_css("background-color", "rgb(241, 243, 244)")
    assert page.locator("virtual-office").evaluate(ENABLED_JOIN) == "rgb(138, 21, 56)"
    assert page.errors == []
    # the default tenant's page on the same website shows the default offices in the widget's own colour
    page.goto(env.site.url("/pages/plain.html"))
    page.wait_for_selector(READY)
    expect(page.locator("li.office")).to_have_count(2)
    assert page.locator("virtual-office").evaluate(ENABLED_JOIN) == "rgb(11, 87, 208)"


LOGO = "virtual-office >> img.tenant-logo"


def test_a_tenant_widget_shows_its_logo_named_and_drops_one_that_fails(env, page):
    _seed(env.redis.url, env.site.origin)
    client = redis.Redis.from_url(env.redis.url, decode_responses=True)
    try:
        logo = Tenant("passau", "Stadt Passau", "09262000", colour="#8a1538", logo="/static/favicon.svg")
        client.hset(keys.TENANTS, "passau", json.dumps(logo.to_config()))
        time.sleep(OFFICES_CACHED)
        page.goto(env.site.url("/pages/tenant.html"))
        page.wait_for_selector(READY)
        shown = page.locator(LOGO)
        expect(shown).to_have_attribute("alt", "Stadt Passau")
        expect(shown).to_have_js_property("complete", True)
        assert shown.evaluate("img => img.naturalWidth > 0 && img.getRootNode() instanceof ShadowRoot")
        assert page.evaluate("document.querySelectorAll('img').length") == 0  # the host page's own document is untouched
        # A logo that cannot be loaded goes away; the widget still shows the tenant's offices, and the page has no error.
        broken = Tenant("passau", "Stadt Passau", "09262000", colour="#8a1538", logo="/static/kein-logo.svg")
        client.hset(keys.TENANTS, "passau", json.dumps(broken.to_config()))
        page.reload()
        page.wait_for_selector(READY)
        expect(page.locator("li.office")).to_have_count(1)
        expect(page.locator(LOGO)).to_have_count(0)
        assert page.errors == []
    finally:
        client.close()

"""Issue 17 (item 1): the app has a name and icons for a phone's home screen."""

import json

from django.contrib.staticfiles import finders


def test_every_page_links_the_manifest_and_the_touch_icon(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'rel="manifest" href="/static/manifest.webmanifest"' in html
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in html
    assert '<meta name="apple-mobile-web-app-title" content="Leadsgroups">' in html


def test_the_manifest_names_the_app_and_its_icons_exist():
    with open(finders.find("manifest.webmanifest"), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["name"] == manifest["short_name"] == "Leadsgroups"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"]), icon["src"]  # relative to the manifest, in static/
    assert finders.find("icons/apple-touch-icon.png")

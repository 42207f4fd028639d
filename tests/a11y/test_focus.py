"""With the keyboard alone, every element that takes focus shows a ring of 3:1 or more against its ground,
and every form field's edge stands out at 3:1 (WCAG 1.4.11), so an empty field or an unticked box is seen.

axe does not judge focus indicators, so this Tabs through pages that hold every kind of control (links,
buttons, buttons styled as links, dropdown summaries, text and date fields, selects, radios, checkboxes)
with their menus and disclosures open, and measures the ring each element gets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.a11y.world import VIEWPORTS, demo_world, sign_in

COLOURS = (Path(__file__).parent / "colours.js").read_text()
MAX_TABS = 160  # per page: the navigation, its menus and the page's first controls
PAGES = ("chapter home", "new referral", "open meeting", "fine", "profile", "referral inbox")
KINDS = """[...document.querySelectorAll(
  "summary, .linklike, [type=radio], [type=checkbox], select, textarea")]
  .map((e) => (e.matches("summary") ? "summary" : e.classList.contains("linklike") ? "linklike" : e.type))"""


def _luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG's contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_wcags_ratio():
    assert round(contrast((0, 0, 0), (255, 255, 255)), 1) == 21.0
    assert round(contrast((0x76, 0x76, 0x76), (255, 255, 255)), 2) == 4.54  # the classic 4.5:1 grey
    assert round(contrast((128, 204, 243), (255, 255, 255)), 1) == 1.8  # Pico's translucent ring on white


def _faint_edges(page, label: str) -> list[str]:
    """The form fields whose edge is under 3:1 against the ground around them."""
    return [
        f"{label}: {field['element']} {field['text']!r}: edge {ratio:.2f}:1 against {field['background']}"
        for field in page.evaluate(COLOURS, "edges")
        if field["width"] > 0 and (ratio := contrast(field["edge"], field["background"])) < 3
    ]


def _tab_through(page, label: str) -> tuple[int, list[str]]:
    """Tab from the top of the page: how many elements took focus, and what was wrong with their rings."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    focused, problems = 0, []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        ring = page.evaluate(COLOURS, "focus")
        if ring is None or ring.get("again") == 1:
            break  # out of the page, or round again
        if "again" in ring:
            continue  # the next part of a date field
        focused += 1
        where = f"{label}: {ring['element']} {ring['text']!r}"
        if not ring["keyboard"]:
            problems.append(f"{where}: not :focus-visible after a Tab")
        elif ring["style"] in ("none", "hidden") or ring["width"] < 2 or ring["ring"][3] < 1:
            problems.append(f"{where}: no solid ring ({ring['style']} {ring['width']}px)")
        elif (ratio := contrast(ring["ring"], ring["background"])) < 3:
            problems.append(f"{where}: ring {ratio:.2f}:1 against {ring['background']}")
    return focused, problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_focusable_element_shows_a_ring_and_every_field_an_edge_of_3_to_1(live_server, browser):
    world = demo_world()
    pages = dict(world.pages["president"])
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    sign_in(page, live_server, world.emails["president"])
    focused, problems, kinds = 0, [], set()
    for label in PAGES:
        page.goto(f"{live_server.url}{pages[label]}")
        problems += _faint_edges(page, label)
        count, found = _tab_through(page, label)
        focused, problems, kinds = focused + count, problems + found, kinds | set(page.evaluate(KINDS))
    context.close()
    assert {"summary", "linklike", "radio", "checkbox", "select-one", "textarea"} <= kinds  # all were on show
    assert focused > 100
    assert not problems, "\n".join(problems)

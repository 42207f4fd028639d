"""axe-core in a Playwright page: inject the vendored copy, scan, and say what fails in words one acts on.

The app's Content-Security-Policy refuses inline script, so axe is not put in the page as a <script>:
Playwright adds it as an init script (the DevTools protocol's addScriptToEvaluateOnNewDocument), which
the browser runs outside the page's policy. The policy itself stays in force (no `bypass_csp`), so axe
judges the page exactly as a visitor gets it, without any inline style the policy would have refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe.min.js"
SCAN = (HERE / "scan.js").read_text()
FAILING = ("serious", "critical")


@dataclass(frozen=True)
class Finding:
    page: str
    rule: str
    impact: str
    target: str
    help: str
    summary: str

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} ({self.impact}) at {self.target}: {self.help}. {self.summary}"


def axe_context(browser, **options):
    """A browser context whose every page carries axe (see the module's docstring)."""
    context = browser.new_context(**options)
    context.add_init_script(path=str(AXE))
    return context


def axe_scan(page, label: str, *, menus: bool = True) -> list[Finding]:
    """The serious and critical violations of the page as it is now, each with `label` to say where.

    `menus=False` leaves the header's menus closed for the second look: they are the same on every page of
    one person, so once per browser context is enough.
    """
    return [Finding(page=label, **found) for found in page.evaluate(SCAN, [list(FAILING), menus])]

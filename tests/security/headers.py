"""What every response must carry (Content-Security-Policy and friends), and how a page is checked for inline code."""

from __future__ import annotations

from html.parser import HTMLParser

# Prospect data given to every referral of the walk (tests/referrals/factories.py's defaults).
PROSPECT = ("Petra Prospect", "petra@prospect.example", "7700 900123")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    """What is missing or too lax in a response's security headers ([] when all is well)."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    if not csp:
        return ["no Content-Security-Policy"]
    d = csp_directives(csp)
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append(f"unsafe source in the CSP: {csp}")
    for directive, wanted in {
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }.items():
        if d.get(directive) != wanted:
            problems.append(f"{directive} is {d.get(directive)}, not {wanted}")
    permissions = {p.strip() for p in response.headers.get("Permissions-Policy", "").split(",")}
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        if f"{feature}=()" not in permissions:
            problems.append(f"Permissions-Policy does not refuse {feature}")
    if response.headers.get("Referrer-Policy") not in ("same-origin", "strict-origin-when-cross-origin"):
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    return problems


def not_stored(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.headers.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def carries_prospect(response) -> bool:
    if getattr(response, "streaming", False):
        return False
    content = response.content.decode(errors="replace")
    return any(value in content for value in PROSPECT)


# Script types that are data, not code: a CSP does not apply to them (Django's json_script).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        line = self.getpos()[0]
        if tag == "script" and "src" not in attrs and (attrs.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self.found.append(f"line {line}: inline <script>")
        if tag == "style":
            self.found.append(f"line {line}: <style> block")
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f"line {line}: style attribute on <{tag}>")
            elif name.startswith("on"):
                self.found.append(f"line {line}: {name}= handler on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"line {line}: javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    """Inline scripts, style blocks and attributes, event handlers and javascript: URLs in a page."""
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def page_problems(response) -> list[str]:
    """Header problems, plus inline code when the response is a page."""
    problems = header_problems(response)
    if "html" in response.headers.get("Content-Type", "") and not getattr(response, "streaming", False):
        problems += inline_code(response.content.decode(errors="replace"))
    return problems

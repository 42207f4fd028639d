"""No template or Python-rendered HTML of the project holds inline code the Content-Security-Policy refuses.

The header walk (test_headers.py) checks every page it renders; this reads the templates it may not
render (error pages, partials, rare branches) and the Python that writes HTML. Email templates are
not pages: mail clients need inline styles and no CSP applies to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.security.headers import inline_code

BASE = Path(settings.BASE_DIR)
APPS = [p.parent for p in BASE.glob("*/apps.py")]
TEMPLATES = sorted(
    path
    for root in [BASE / "templates", *(app / "templates" for app in APPS)]
    for path in root.rglob("*.html")
    if "emails" not in path.relative_to(root).parts
)
# Python that may write HTML for pages: every module of the apps and of the project package.
EMAIL_RENDERERS = {"enforcement/services.py"}  # writes the fine email's HTML: an email, not a page
PYTHON = sorted(
    {path for root in [*APPS, BASE / "leadsgroups"] for path in root.rglob("*.py") if "migrations" not in path.parts}
    - {BASE / name for name in EMAIL_RENDERERS}
)
TEMPLATE_TAG = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)


def test_the_scan_reads_the_projects_templates():
    names = {str(p.relative_to(BASE)) for p in TEMPLATES}
    assert {"templates/base.html", "templates/500.html", "templates/referrals/stats.html"} <= names
    assert not any("/emails/" in n for n in names)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(BASE)))
def test_templates_hold_no_inline_script_style_or_handler(path):
    # Template tags out first: `{% if x %} class="a"{% endif %}` must not hide or fake an attribute.
    html = TEMPLATE_TAG.sub("", path.read_text())
    assert not inline_code(html)


INLINE_IN_PYTHON = re.compile(
    r"""<script(?![^>]*\bsrc=)|<style|\sstyle=["']|\son[a-z]+=["']|["']\s*javascript:""", re.IGNORECASE
)


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(BASE)))
def test_python_renders_no_inline_script_style_or_handler(path):
    assert not INLINE_IN_PYTHON.findall(path.read_text())

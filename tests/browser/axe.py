"""axe-core (vendored, MPL-2.0) run inside a Playwright page: the accessibility check of the
browser tests. `serious_violations(page)` lists the rules of impact serious or critical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
# WCAG 2.0/2.1/2.2 A and AA, as the SPEC asks (WCAG 2.2 AA).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """Evaluate axe in the page through the DevTools protocol (which the page's CSP does not
    govern, so the CSP under test stays as strict as in production) and run it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text("utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]

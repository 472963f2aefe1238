"""Accessibility checks with axe-core (npm `axe-core`, pinned in tests/browser/js/package.json),
injected into the page under test: no WCAG 2.1 A or AA violation may remain.

Each check writes what axe found (violations, and how many rules passed) to
test-output/axe/<name>.json, so a run leaves the evidence behind.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

from tests.npm import npm_ci

JS = Path(__file__).parent / "js"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "axe"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _axe_source() -> str:
    folder = npm_ci(JS, "axe-core", "the accessibility checks (axe-core)")
    return (folder / "axe.min.js").read_text()


def _summary(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'][:300]}")
    return "\n".join(lines)


def check_accessible(page: Page, name: str) -> dict:
    """Run axe on the page as it is now; fail listing every WCAG 2.1 A/AA violation."""
    # Evaluated through the DevTools protocol, the script is not subject to the page's CSP.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return {url: r.url, violations: r.violations, passes: r.passes.length,
                    incomplete: r.incomplete.map(i => i.id)};
        }""",
        TAGS,
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    (OUTPUT / f"{slug}.json").write_text(json.dumps(result, indent=1))
    violations = result["violations"]
    assert not violations, f"axe found WCAG 2.1 A/AA violations on {name}:\n{_summary(violations)}"
    return result

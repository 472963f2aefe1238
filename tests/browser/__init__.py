"""Browser tests (Playwright driving Chromium); see conftest.py."""

from pathlib import Path

# What failing browser tests leave behind: a screenshot and the HTML of each open page.
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"

"""axe-core in the console's pages: the copy the pinned `axe-playwright-python` package ships
(its `axe.min.js`, axe-core under the MPL 2.0), put into the page with Playwright's evaluate —
the console's Content-Security-Policy forbids inline scripts, so no script tag — and run with
the WCAG 2.1 A and AA rules, and axe's rules for the page's structure besides (headings in
order, landmarks, table headers)."""
from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STRUCTURE = ["heading-order", "page-has-heading-one", "landmark-one-main", "landmark-unique", "region",
             "empty-heading", "empty-table-header"]
OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "rules": {rule: {"enabled": True} for rule in STRUCTURE},
           "resultTypes": ["violations"],
           # The Reports page shows the reporting service's HTML document in a sandboxed frame,
           # where no script runs: axe checks the frame (its title), not the document in it.
           "iframes": False}

_RUN = """options => axe.run(document, options).then(results => results.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 5).map(n => `${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`),
})))"""


def audit(page, where: str) -> list[str]:
    """The violations axe finds in the page as it is now, each a line naming where it was
    (``where``), the rule, and the first elements it failed on."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    return [f"{where}: {v['id']} ({v['impact']}): {v['help']}: " + " | ".join(v["nodes"])
            for v in page.evaluate(_RUN, OPTIONS)]

"""The web console as the rest of the system knows it (``shared.services``): a service of its
own, its pages and the pass-through to the others; no events, no CLI."""
from __future__ import annotations

from shared.services import Manifest

MANIFEST = Manifest(name="console", address="127.0.0.1:8000", order=5, behind_console=False)

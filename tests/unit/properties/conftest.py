"""Hypothesis settings for the property tests.

Hypothesis keeps its files (failing examples, caches) under ``.pytest_cache/hypothesis``
(ignored by git) rather than a ``.hypothesis`` folder in the working tree;
``HYPOTHESIS_PROFILE=ci`` runs derandomized without an example database.
Each test sets its own (modest) ``max_examples``.
"""
from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

HOME = Path(__file__).resolve().parents[3] / ".pytest_cache" / "hypothesis"
set_hypothesis_home_dir(str(HOME))

settings.register_profile(
    "fieldwork",
    database=DirectoryBasedExampleDatabase(str(HOME / "examples")),
    print_blob=True,
)
settings.register_profile("ci", database=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fieldwork"))

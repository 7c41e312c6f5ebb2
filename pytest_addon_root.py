"""pytest plugin of both suites: the repository root is also the Odoo addon.

The root holds ``__init__.py`` (the addon's, which imports Odoo models), so pytest sees
it as a package and would import it before the first test, to look for
``setup_module``. Its suites (``tests_unit/``, ``tests_e2e/``) never need it: the
repository root is on ``sys.path`` (``pythonpath`` in ``pyproject.toml``) and they
import ``cartona``, ``sandbox`` and their helpers as top-level packages.

A plugin (``-p pytest_addon_root`` in ``pyproject.toml``), not a root
``conftest.py``: pytest imports a conftest with its package, which would import the
addon itself whenever the checkout's folder name is a valid package name.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def _no_setup():
    """Stands in for the setup of the repository-root package."""


def pytest_collection_modifyitems(session, config, items):
    """Never import the addon's root ``__init__.py``."""
    for item in items:
        for node in item.listchain():
            if isinstance(node, pytest.Package) and node.path == ROOT:
                node.setup = _no_setup

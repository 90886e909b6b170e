"""The README's screenshots script names pages that exist: each address is its URL name's."""

import importlib.util
import sys
from pathlib import Path

import pytest
from django.urls import resolve

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"


def script():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


PAGES = script().PAGES


@pytest.mark.parametrize("shot", PAGES, ids=[shot.name for shot in PAGES])
def test_each_screenshot_address_is_its_named_page(shot):
    address = shot.path.format(case=1042, answer="/nps/a/some-token/9/")

    assert resolve(address).view_name == shot.url_name


def test_screenshot_names_are_unique_files():
    assert len({shot.name for shot in PAGES}) == len(PAGES)

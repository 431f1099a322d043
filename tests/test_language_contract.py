"""The language contract (languages/contract.py): every registered support module satisfies it, and every language
says how its source text writes names (the analysis's cursor reads it)."""

from __future__ import annotations

import types

from isg_lsp import languages
from isg_lsp.languages.contract import LanguageSupport, missing_members


def test_every_registered_support_module_satisfies_the_contract():
    for spec in languages.LANGUAGES:
        module = languages.support(spec.name)
        assert missing_members(module) == [], spec.name
        assert isinstance(module, LanguageSupport), spec.name


def test_every_family_has_its_source_syntax():
    assert {spec.family for spec in languages.LANGUAGES} == set(languages.SOURCE_SYNTAX)


def test_a_module_that_breaks_the_contract_is_caught():
    broken = types.ModuleType("broken")
    broken.build_layout = lambda root, files: None
    broken.extract = lambda *args: None
    broken.ITEM_CACHE = "yes"
    assert missing_members(broken) == ["resolve", "ITEM_CACHE (must be a bool)"]
    assert not isinstance(broken, LanguageSupport)

"""The registry of homes (hotline/homes.py): every module it names imports and has what the
composition root takes from it; a bad entry stops the start with a RegistryError."""

from __future__ import annotations

import importlib

import click
import pytest

from hotline import homes
from hotline.homes import Home, RegistryError


def test_the_registry_checks() -> None:
    homes.check()


@pytest.mark.parametrize("home", homes.HOMES, ids=lambda h: h.name)
def test_every_module_of_an_entry_imports_and_has_its_entry_point(home: Home) -> None:
    if home.wiring:
        assert callable(importlib.import_module(home.wiring).build)
    for module in home.services.values():
        assert callable(importlib.import_module(module).build)
    for module in home.runtime:
        assert callable(importlib.import_module(module).services)
    if home.demo:
        assert callable(importlib.import_module(home.demo).load_demo)
    if home.models:
        importlib.import_module(home.models)
    if home.migrations:
        assert any(home.migrations_dir().glob("*.py"))
    for name, target in home.commands.items():
        module, _, attr = target.partition(":")
        assert isinstance(getattr(importlib.import_module(module), attr), click.Command), name


def test_every_platform_property_is_a_registered_service() -> None:
    from hotline.platform import Platform

    wiring = homes.wiring_modules()
    properties = [name for name, value in vars(Platform).items() if type(value).__name__ == "cached_property"]
    assert properties and set(properties) <= set(wiring)


@pytest.mark.parametrize("entry, message", [
    (Home("knowledge", wiring="knowledge.wirng"), "knowledge.wirng"),
    (Home("knowlege", wiring="knowlege.wiring"), "knowlege"),
    (Home("sms", runtime=("sms.runtim",)), "sms.runtim"),
    (Home("switch", demo="switch.demo_data"), "switch.demo_data"),
    (Home("qa", models="qa.model"), "qa.model"),
    (Home("agents", migrations="migration"), "migration"),
    (Home("ivr", commands={"call": "ivr.clii:call_command"}), "ivr.clii"),
    (Home("ivr", commands={"call": "ivr.cli"}), "module:attribute"),
    (Home("sms", wiring="agents.wiring"), "another home"),
])
def test_a_bad_entry_raises_a_registry_error(entry: Home, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        homes.check((*homes.HOMES[:1], entry))


def test_a_home_listed_twice_is_refused() -> None:
    with pytest.raises(RegistryError, match="twice"):
        homes.check((homes.HOMES[0], homes.HOMES[0]))


def test_a_missing_entry_point_is_a_registry_error() -> None:
    bad = (Home("knowledge", wiring="knowledge.models"),)
    with pytest.raises(RegistryError, match="has no 'build'"):
        homes.build_service("knowledge", object(), bad)
    with pytest.raises(RegistryError, match="no home provides"):
        homes.build_service("nonesuch", object(), bad)
    with pytest.raises(RegistryError, match="has no 'call_commnd'"):
        homes.load_command("call", (Home("ivr", commands={"call": "ivr.cli:call_commnd"}),))


def test_a_platform_with_a_bad_registry_does_not_start(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hotline.platform import Platform
    from tests.conftest import make_settings

    monkeypatch.setattr(homes, "HOMES", (*homes.HOMES, Home("tickets2", wiring="tickets2.wiring")))
    with pytest.raises(RegistryError, match="tickets2"):
        Platform(make_settings(tmp_path))

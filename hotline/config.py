"""The node's configuration, composed at the root: the core's `Settings` and the settings of every home
that has some (`Home.settings` in hotline/homes.py), built once at start so that a bad value stops the
start with one `ConfigError` naming every variable at fault, instead of failing at first use. (Each
home then reads its own with `<Class>.of(settings)` when its service is built, once per Settings.)"""

from __future__ import annotations

from typing import Any

from core.settings import ConfigError, HomeSettings, Settings
from hotline import homes


def home_settings(settings: Settings) -> dict[str, HomeSettings]:
    """"<home>.<Class>" -> that home's settings (environment, then `settings.extra` overrides)."""
    found: dict[str, HomeSettings] = {}
    errors: list[str] = []
    for home, cls in homes.settings_classes():
        try:
            found[f"{home}.{cls.__name__}"] = cls.load(settings)
        except ConfigError as exc:
            errors.append(str(exc).removeprefix("configuration: "))
    if errors:
        raise ConfigError("configuration: " + "; ".join(errors))
    return found


def load(**overrides: Any) -> tuple[Settings, dict[str, HomeSettings]]:
    """The core settings from the environment and every home's, checked."""
    settings = Settings.from_env(**overrides)
    return settings, home_settings(settings)

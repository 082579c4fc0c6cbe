"""The registry of homes: the one place that names them.

Each `Home` says what the composition root loads from it: the `wiring` module whose
`build(platform)` makes `platform.<name>` (and further named services), the `runtime` modules whose
`services(platform)` run in the node's background loop, the `demo` module whose
`load_demo(platform) -> str` fills an empty database, the `models` module whose tables the schema
holds, the folder of its Alembic branch, its `hotline` CLI commands (`"module:attribute"`) and its
settings classes (`"module:Class"`, built at start by `hotline/config.py`).

Every dotted path is checked when the registry is first used (`check()`: the platform, the node and
the `hotline` command call it): a typo, a missing module or folder raises `RegistryError` naming the
entry. Nothing is optional: a module named here either loads or the start stops.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hotline.platform import Platform


class RegistryError(RuntimeError):
    """A registry entry names a module, attribute or folder that does not exist."""


@dataclass(frozen=True)
class Home:
    name: str
    wiring: str | None = None
    services: Mapping[str, str] = field(default_factory=dict)  # further services: name -> wiring module
    runtime: tuple[str, ...] = ()
    demo: str | None = None
    models: str | None = None
    migrations: str | None = None  # folder of the Alembic branch, relative to the home's package
    commands: Mapping[str, str] = field(default_factory=dict)  # CLI command -> "module:attribute"
    settings: tuple[str, ...] = ()  # "module:Class" of its settings (core.settings.HomeSettings subclasses)

    def modules(self) -> Iterator[str]:
        """Every module this entry names."""
        if self.wiring:
            yield self.wiring
        yield from self.services.values()
        yield from self.runtime
        if self.demo:
            yield self.demo
        if self.models:
            yield self.models
        for target in self.commands.values():
            yield target.partition(":")[0]
        for target in self.settings:
            yield target.partition(":")[0]

    def package_dir(self) -> Path:
        spec = _find_spec(self.name, self.name)
        locations = list(spec.submodule_search_locations or [])
        if not locations:
            raise RegistryError(f"home {self.name!r}: {self.name} is a module, not a package")
        return Path(locations[0])

    def migrations_dir(self) -> Path | None:
        if self.migrations is None:
            return None
        folder = self.package_dir() / self.migrations
        if not folder.is_dir():
            raise RegistryError(f"home {self.name!r}: no migrations folder {folder}")
        return folder


# Order matters for the demo data (centers before agents, knowledge before the flows that cite it)
# and for the node's services (started in this order, stopped in reverse).
HOMES: tuple[Home, ...] = (
    Home("core", runtime=("core.cluster", "core.runtime"), models="core.models", migrations="migrations/versions"),
    Home("switch", wiring="switch.wiring", runtime=("switch.runtime",), demo="switch.demo",
         models="switch.models", migrations="migrations", settings=("switch.config:SwitchSettings",),
         commands={"route": "switch.cli:route_command", "centers": "switch.cli:centers_group"}),
    Home("agents", wiring="agents.wiring", runtime=("agents.runtime",), demo="agents.demo",
         models="agents.models", migrations="migrations", settings=("agents.config:AcdSettings",),
         commands={"acd": "agents.cli:acd_group"}),
    Home("knowledge", wiring="knowledge.wiring", runtime=("knowledge.runtime",), demo="knowledge.demo",
         models="knowledge.models", migrations="migrations", settings=("knowledge.config:KnowledgeSettings",),
         commands={"kb": "knowledge.cli:kb_group"}),
    Home("records", wiring="records.wiring", demo="records.demo", models="records.models",
         migrations="migrations", settings=("records.config:RecordsSettings",),
         commands={"records": "records.cli:records_group"}),
    Home("tickets", wiring="tickets.wiring", runtime=("tickets.runtime",), models="tickets.models",
         migrations="migrations", settings=("tickets.config:TicketsSettings",)),
    Home("sms", wiring="sms.wiring", runtime=("sms.runtime",), demo="sms.demo", models="sms.models",
         migrations="migrations", settings=("sms.config:SmsSettings",), commands={"sms": "sms.cli:sms_group"}),
    Home("recordings", wiring="recordings.wiring", runtime=("recordings.runtime",), models="recordings.models",
         migrations="migrations", settings=("recordings.config:RecordingSettings",),
         commands={"recordings": "recordings.cli:recordings_group"}),
    Home("ivr", wiring="ivr.wiring", services={"ivr.speech": "ivr.speech.wiring"},
         runtime=("ivr.runtime", "ivr.asterisk.runtime", "ivr.twilio.runtime"), demo="ivr.demo",
         models="ivr.models", migrations="migrations",
         commands={"call": "ivr.cli:call_command", "flow": "ivr.cli:flow_group", "prompts": "ivr.cli:prompts_group",
                   "asterisk": "ivr.asterisk.cli:asterisk_group"},
         settings=("ivr.speech.config:SpeechSettings", "ivr.twilio.config:TwilioSettings",
                   "ivr.asterisk.config:AmiSettings", "ivr.asterisk.config:ChannelSettings",
                   "ivr.asterisk.config:ControlSettings")),
    Home("smschat", wiring="smschat.wiring", demo="smschat.demo", models="smschat.models",
         migrations="migrations", commands={"smschat": "smschat.cli:smschat_group"}),
    Home("qa", wiring="qa.wiring", demo="qa.demo", models="qa.models", migrations="migrations",
         settings=("qa.config:QaSettings",),
         commands={"qa": "qa.cli:qa_group"}),
    Home("web", settings=("web.config:WebSettings",)),
)


def _find_spec(module: str, home: str) -> importlib.machinery.ModuleSpec:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError as exc:
        raise RegistryError(f"home {home!r}: module {module!r} not found ({exc})") from exc
    if spec is None:
        raise RegistryError(f"home {home!r}: module {module!r} not found")
    return spec


def check(homes: tuple[Home, ...] | None = None) -> None:
    """Raise RegistryError unless every module and folder the registry names exists (without importing
    the modules: `hotline --help` stays fast)."""
    homes = HOMES if homes is None else homes
    names: set[str] = set()
    commands: set[str] = set()
    for home in homes:
        if home.name in names:
            raise RegistryError(f"home {home.name!r} is listed twice")
        names.add(home.name)
        _find_spec(home.name, home.name)
        for module in home.modules():
            if not module.startswith(home.name + ".") and module != home.name:
                raise RegistryError(f"home {home.name!r}: module {module!r} belongs to another home")
            _find_spec(module, home.name)
        for command, target in home.commands.items():
            if command in commands:
                raise RegistryError(f"home {home.name!r}: CLI command {command!r} is taken by another home")
            commands.add(command)
            if ":" not in target:
                raise RegistryError(f"home {home.name!r}: CLI command {command!r} target {target!r} "
                                    "is not 'module:attribute'")
        home.migrations_dir()


_checked: list[tuple[Home, ...]] = []  # registries already checked (held, so an id is never reused)


def checked(homes: tuple[Home, ...] | None = None) -> tuple[Home, ...]:
    """The registry, checked once per process."""
    homes = HOMES if homes is None else homes
    if not any(done is homes for done in _checked):
        check(homes)
        _checked.append(homes)
    return homes


def load(module: str, home: str = "?") -> ModuleType:
    """Import a module the registry names; a missing one is a RegistryError (an error raised inside
    an existing module propagates as it is)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module == missing or module.startswith(missing + "."):
            raise RegistryError(f"home {home!r}: module {module!r} not found") from exc
        raise


def _attr(module: str, attr: str, home: str) -> Any:
    value = getattr(load(module, home), attr, None)
    if value is None:
        raise RegistryError(f"home {home!r}: {module} has no {attr!r}")
    return value


def wiring_modules(homes: tuple[Home, ...] | None = None) -> Mapping[str, tuple[str, str]]:
    """Service name -> (wiring module, home) for `Platform.service(name)`."""
    found: dict[str, tuple[str, str]] = {}
    for home in checked(homes):
        if home.wiring:
            found[home.name] = (home.wiring, home.name)
        for name, module in home.services.items():
            found[name] = (module, home.name)
    return MappingProxyType(found)


def build_service(name: str, platform: Platform, homes: tuple[Home, ...] | None = None) -> Any:
    wiring = wiring_modules(homes)
    if name not in wiring:
        raise RegistryError(f"no home provides the service {name!r} (hotline/homes.py)")
    module, home = wiring[name]
    return _attr(module, "build", home)(platform)


def runtime_services(platform: Platform, homes: tuple[Home, ...] | None = None) -> list[Any]:
    """The node services of every home, in registry order."""
    found: list[Any] = []
    for home in checked(homes):
        for module in home.runtime:
            found.extend(_attr(module, "services", home.name)(platform))
    return found


def settings_classes(homes: tuple[Home, ...] | None = None) -> list[tuple[str, Any]]:
    """(home, settings class) of every home with settings, in registry order."""
    found: list[tuple[str, Any]] = []
    for home in checked(homes):
        for target in home.settings:
            module, _, attr = target.partition(":")
            found.append((home.name, _attr(module, attr, home.name)))
    return found


def demo_loaders(homes: tuple[Home, ...] | None = None) -> list[Any]:
    """`load_demo(platform) -> str` of every home with demo data, in registry order."""
    return [_attr(home.demo, "load_demo", home.name) for home in checked(homes) if home.demo]


def import_models(homes: tuple[Home, ...] | None = None) -> None:
    """Import every home's models so that `core.db.Base.metadata` is complete."""
    for home in checked(homes):
        if home.models:
            load(home.models, home.name)


def migration_dirs(homes: tuple[Home, ...] | None = None) -> list[Path]:
    """The Alembic branch folders of every home."""
    return [folder for home in checked(homes) if (folder := home.migrations_dir()) is not None]


def commands(homes: tuple[Home, ...] | None = None) -> Mapping[str, tuple[str, str]]:
    """CLI command name -> ("module:attribute", home)."""
    return MappingProxyType({command: (target, home.name)
                             for home in checked(homes) for command, target in home.commands.items()})


def load_command(name: str, homes: tuple[Home, ...] | None = None) -> Any:
    target, home = commands(homes)[name]
    module, _, attr = target.partition(":")
    return _attr(module, attr, home)

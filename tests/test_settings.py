"""stepfn.settings: every variable declared once, read in one place, checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stepfn import settings as settings_module
from stepfn.settings import Settings, SettingsError

PACKAGE = Path(__file__).resolve().parent.parent / "stepfn"
README = PACKAGE.parent / "README.md"
NAME = re.compile(r"\b(?:STEPFN|SFN)_[A-Z][A-Z0-9_]*")


def test_every_variable_the_code_names_is_declared() -> None:
    declared = settings_module.variables()
    named = {(name, path.relative_to(PACKAGE.parent).as_posix())
             for path in PACKAGE.rglob("*.py") for name in NAME.findall(path.read_text())}
    named |= {(name, "README.md") for name in NAME.findall(README.read_text())}
    assert sorted(n for n in named if n[0] not in declared) == []


def test_only_the_settings_module_reads_stepfns_variables() -> None:
    reads = re.compile(r"""(?:environ\b[^\n]{0,12}|getenv\()\s*[\[(]?\s*["'](?:STEPFN|SFN)_""")
    offending = [path.relative_to(PACKAGE.parent).as_posix()
                 for path in PACKAGE.rglob("*.py")
                 if path.name != "settings.py" and reads.search(path.read_text())]
    assert offending == []
    assert reads.search('os.environ.get("STEPFN_PORT")')  # the check sees a read


def test_flags_win_over_the_environment_and_empty_is_unset() -> None:
    env = {"STEPFN_PORT": "9000", "STEPFN_HOST": "", "STEPFN_HTTP_ALLOW": "a.example, 10.0.0.0/8"}
    loaded = Settings.load({"port": "9100"}, env)
    assert (loaded.port, loaded.host) == (9100, "127.0.0.1")
    assert loaded.http_allow == ("a.example", "10.0.0.0/8")
    assert (loaded.origin("port"), loaded.origin("http_allow"), loaded.origin("host")) == (
        "--port", "STEPFN_HTTP_ALLOW", "the default")
    assert Settings.load(environ={}).port == 8083
    assert Settings.load({"functions": ["a.py", "b.py"]}, {}).functions == ("a.py", "b.py")
    assert Settings.load({"worker": True}, {}).worker is False  # --no-worker
    assert Settings.load(environ={"STEPFN_NO_WORKER": "1"}).worker is False


@pytest.mark.parametrize("flags,env,message", [
    ({"port": "99999"}, {}, "--port 99999: not a port number (0 to 65535)"),
    ({}, {"STEPFN_PORT": "abc"}, "STEPFN_PORT=abc: not a port number (0 to 65535)"),
    ({"log_level": "loud"}, {}, "--log-level loud: expected one of debug, info, warning, "
                                "error, critical"),
    ({}, {"STEPFN_LOG_LEVEL": "verbose"}, "STEPFN_LOG_LEVEL=verbose: expected one of"),
    ({"db": "mysql://u@h/d"}, {}, "--db mysql://u@h/d: mysql:// databases are not supported"),
    ({}, {"STEPFN_LEASE_SECONDS": "0"}, "STEPFN_LEASE_SECONDS=0: not a positive number"),
    ({}, {"STEPFN_PARK_SECONDS": "-1"}, "STEPFN_PARK_SECONDS=-1: not a number of seconds"),
    ({"account": "12"}, {}, "--account 12: not an AWS account id (12 digits)"),
    ({}, {"STEPFN_LAMBDA_FORWARD": "maybe"}, "STEPFN_LAMBDA_FORWARD=maybe: not a boolean"),
    ({"allowed_hosts": "a b/c"}, {}, "--allowed-hosts a b/c: 'b/c' is not a host name"),
])
def test_unusable_values_name_their_flag_or_variable(flags: dict, env: dict,
                                                     message: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.load(flags, env)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_only_the_settings_a_command_reads_are_checked() -> None:
    assert Settings.load(environ={"STEPFN_PORT": "abc"}, only=("db",)).db == "stepfn.db"


def test_help_lists_every_variable_of_serve() -> None:
    from stepfn.cli import build_parser

    serve = build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text = serve.format_help()
    for name in settings_module.SERVE_SETTINGS:
        assert settings_module.declared(name).variable in text, name


def test_the_readme_lists_every_variable() -> None:
    text = README.read_text()
    missing = [v for v in settings_module.variables() if f"`{v}`" not in text]
    assert missing == []

"""Each source's settings: defaults written once (in its configspec) and documented truly, in
`.dlt/config.toml` and in the README's table; every problem with them reported at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from finsync.errors import ConfigurationError
from finsync.sources.settings import SourceSettings
from finsync.sources.ym import YMSettings
from finsync.sources.younium import YouniumSettings

ROOT = Path(__file__).parents[2]
SPECS = [YMSettings, YouniumSettings]


def fields(spec: type[SourceSettings]) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.get_resolvable_fields()}


def readme_rows() -> dict[str, str]:
    """setting -> its default cell, from the README's configuration table."""
    rows = re.findall(r"^\| (sources\.\w+\.\w+) \| \w+ \| ([^|]+) \|", (ROOT / "README.md").read_text(), re.M)
    return {key: cell.strip() for key, cell in rows}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.section)
def test_every_default_in_config_toml_is_the_settings_own(spec: type[SourceSettings]) -> None:
    listed = tomlkit.parse((ROOT / ".dlt" / "config.toml").read_text()).unwrap()["sources"][spec.section]
    defaults = fields(spec)
    assert set(listed) <= set(defaults), "config.toml lists a setting the source does not have"
    for name, value in listed.items():
        assert value == defaults[name], name
    unlisted = {name for name, default in defaults.items() if default is not None} - set(listed)
    assert not unlisted, f"config.toml leaves out settings that have a default: {unlisted}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.section)
def test_the_readme_documents_every_setting_with_its_true_default(spec: type[SourceSettings]) -> None:
    documented = readme_rows()
    for name, default in fields(spec).items():
        key = f"sources.{spec.section}.{name}"
        assert key in documented, f"{key} is not in the README's table"
        cell = documented[key]
        if default is None:
            assert cell.startswith("(required") or cell == "(none)", key
        else:
            shown = cell.strip("`")
            expected = str(default).lower() if isinstance(default, bool) else default
            assert type(default)(shown) == default if not isinstance(default, bool) else shown == expected, key
    stray = {k for k in documented if k.startswith(f"sources.{spec.section}.")} - {
        f"sources.{spec.section}.{n}" for n in fields(spec)
    }
    assert not stray, f"the README documents settings that do not exist: {stray}"


def test_every_missing_setting_is_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLIENT_ID", "API_KEY", "API_PASSWORD"):
        monkeypatch.delenv(f"SOURCES__YM__{name}", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        YMSettings.from_config()
    message = str(raised.value)
    assert all(f"SOURCES__YM__{name}" in message for name in ("CLIENT_ID", "API_KEY", "API_PASSWORD")), message


def test_every_wrong_setting_is_named_in_one_message_without_revealing_secrets() -> None:
    with pytest.raises(ConfigurationError) as raised:
        YouniumSettings.from_config(
            {"client_id": "client-1234", "secret": "secret-98765", "page_size": "500", "pii": "keep", "concurrency": 0}
        )
    message = str(raised.value)
    assert message.startswith("3 settings need fixing")
    for name in ("PAGE_SIZE", "PII", "CONCURRENCY"):
        assert f"SOURCES__YOUNIUM__{name}" in message
    assert "secret-98765" not in message


def test_settings_given_as_text_are_read_as_their_types() -> None:
    settings = YMSettings.from_config(
        {"client_id": "42", "api_key": "k", "api_password": "p", "overlap_hours": "2.5", "export_concurrency": "3"}
    )
    assert (settings.client_id, settings.overlap_hours, settings.export_concurrency) == (42, 2.5, 3)


def test_a_setting_the_source_does_not_have_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="SOURCES__YM__PAGESIZE"):
        YMSettings.from_config({"client_id": 1, "api_key": "k", "api_password": "p", "pagesize": 10})


def test_a_value_that_is_not_of_its_settings_type_is_repeated_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__YM__CLIENT_ID", "abc")
    with pytest.raises(ConfigurationError, match=r"SOURCES__YM__CLIENT_ID\) is 'abc', which is not a whole number"):
        YMSettings.from_config({"api_key": "k", "api_password": "p"})


def test_reading_settings_never_imports_airflow_or_touches_its_database() -> None:
    """With the airflow extra installed, dlt would read settings from Airflow Variables too: importing Airflow
    and querying its metadata database on every run. finsync reads only the environment and .dlt files."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys; from finsync.warehouse.targets import configured_targets; "
        "configured_targets(['ym', 'younium']); print('airflow' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROVIDERS__ENABLE_AIRFLOW_SECRETS"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "False"

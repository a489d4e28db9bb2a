# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""governance.yml is validated on load, and errors name the key, the value and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelgate.governance import ConfigError, load_config, parse_governance
from tests.conftest import REPO, fixture_config

SHIPPED = fixture_config().read_text()  # the tests' copy of the shipped example


def _with(change: dict[str, object]) -> str:
    raw = yaml.safe_load(SHIPPED)
    for dotted, value in change.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        if value is ...:
            del node[leaf]
        else:
            node[leaf] = value
    return yaml.safe_dump(raw)


def test_shipped_config_is_valid() -> None:
    """The tests' copy of the shipped governance.yml loads, names 30 features and resolves
    paths next to itself."""
    config = load_config(fixture_config())
    gov = config.governance
    assert gov.model.name == "breast-cancer-classifier"
    assert len(gov.data.features) == 30
    assert gov.data.target.mapping == {"B": 1, "M": 0}
    assert config.data_path == fixture_config().parent / "data" / "breast_cancer.csv"
    assert config.tracking_uri(None).startswith("sqlite:///")


@pytest.mark.shipped_example
def test_the_repository_governance_file_is_valid_against_its_data() -> None:
    """The repository's own governance.yml (the team's: whatever model it declares) is valid
    and every column it names is in its data file."""
    from modelgate.training.preflight import validate_against_data

    config = load_config(REPO / "governance.yml")
    validate_against_data(config)
    assert config.data_path.is_file()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"split.test_size": 1.5}, ["split.test_size", "less than 1", "1.5"]),
        ({"split.bogus": 1}, ["split.bogus", "unknown key"]),
        ({"model.name": ...}, ["model.name", "required key is missing"]),
        ({"data.target.mapping": {"B": 1, "M": 1}}, ["data.target", "one to 0"]),
        ({"data.target.mapping": {"B": 2, "M": 0}}, ["data.target.mapping.B", "2"]),
        ({"metrics.primary": "r2"}, ["metrics.primary", "'r2'"]),
        ({"metrics.floors": {"accuracy": 1.2}}, ["metrics.floors.accuracy", "1.2"]),
        ({"approval.roles": [{"name": "x" * 45, "users": ["a"]}]}, ["approval.roles.0.name", "50"]),
        ({"approval.roles": [{"name": "Data Steward", "users": ["a"]}]}, ["lowercase"]),
        ({"approval.roles": [{"name": "ops", "users": ["a"], "required": 2}]},
         ["requires 2 approvers"]),
        ({"approval.roles": [{"name": "ops", "teams": ["no-slash"]}]}, ["org/team-slug"]),
        ({"estimator.threshold": 1.0}, ["estimator.threshold", "less than 1"]),
        ({"subgroups.groups": [{"name": "g", "column": "nope", "quantiles": 3}]},
         ["'nope' is not in data.features"]),
    ],
)
def test_invalid_config_names_key_and_value(change: dict[str, object], expected: list[str]) -> None:
    """Each invalid value is reported with its key and what was found."""
    with pytest.raises(ConfigError) as err:
        parse_governance(_with(change), Path("governance.yml"))
    message = str(err.value)
    assert message.startswith("governance.yml: invalid configuration")
    for fragment in expected:
        assert fragment in message


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    """Broken YAML, a list at the top and a missing file each get one clear message."""
    bad = tmp_path / "governance.yml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(bad)
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "missing.yml")


def test_tracking_uri_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLI flag beats MLFLOW_TRACKING_URI, which beats the file, which beats the default."""
    config = load_config(fixture_config())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert config.tracking_uri("http://flag:5000") == "http://flag:5000"
    assert config.tracking_uri(None) == "http://env:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    store = fixture_config().parent / ".modelgate" / "mlflow.db"
    assert config.tracking_uri(None) == f"sqlite:///{store}"

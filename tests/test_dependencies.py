"""The dependency policy of docs/versioning.md, held: every floor in pyproject.toml is
pinned in scripts/constraints-oldest.txt (what scripts/test-oldest installs), caps sit
only where the policy allows them, the installed botocore knows every S3 parameter the
lease sends (the reason for boto3's floor), and the project URLs name this repository's
docs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CAPPED = {"tree-sitter", "tree-sitter-javascript", "moto"}  # docs/versioning.md#dependencies


def _requirements() -> list[Requirement]:
    extras = PROJECT["optional-dependencies"]
    listed = [*PROJECT["dependencies"], *extras["flask"], *extras["local"]]
    return [Requirement(line) for line in listed]


def _pins() -> dict[str, str]:
    text = (ROOT / "scripts/constraints-oldest.txt").read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M))


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_each_floor_is_the_pin_the_oldest_tests_install(requirement: Requirement) -> None:
    floors = [s.version for s in requirement.specifier if s.operator == ">="]
    assert len(floors) == 1, f"{requirement}: one floor (>=) per dependency"
    pinned = _pins().get(requirement.name)
    assert pinned is not None, f"{requirement.name} is not pinned in scripts/constraints-oldest.txt"
    assert tuple(map(int, pinned.split("."))) == tuple(map(int, (floors[0] + ".0.0").split(".")[:3]))


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_caps_only_where_the_policy_allows(requirement: Requirement) -> None:
    capped = any(s.operator == "<" for s in requirement.specifier)
    assert capped == (requirement.name in CAPPED), requirement


def test_botocore_knows_the_conditional_writes_the_lease_sends() -> None:
    import botocore.session

    put = botocore.session.get_session().get_service_model("s3").operation_model("PutObject")
    assert {"IfMatch", "IfNoneMatch"} <= set(put.input_shape.members)


def test_the_project_urls_name_this_repositorys_docs() -> None:
    urls = PROJECT["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Issues", "Changelog"}
    home = urls["Homepage"]
    assert all(url.startswith(home) for url in urls.values())
    for name in ("Documentation", "Changelog"):
        path = urls[name].removeprefix(home).split("/main/", 1)[1]
        assert (ROOT / path).exists(), (name, path)

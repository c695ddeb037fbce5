"""The words a person reads after a publish: the summary and the plan table."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console

from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.commands.report import plan_table, summary_lines
from cdnpub.sync.invalidation import Invalidation
from cdnpub.sync.plan import History, Listing, Plan, desired_release, plan
from cdnpub.sync.publish import Done, Report
from tests.support.trees import write_tree

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def site(tmp_path: Path) -> Build:
    root = write_tree(tmp_path / "static", {"css/app.css": "a{}", "js/app.js": "x()"})
    return build([Source(scan(root))], BuildOptions(prefix="static"))


def first_plan(site: Build) -> Plan:
    return plan(site, "shop-assets", Listing("static", {}), History(), desired_release(site, {}, NOW))


PUBLISHED = Done(uploaded=4)


def report_with(todo: Plan, paths: tuple[str, ...], done: Done | None = PUBLISHED) -> Report:
    invalidations = (Invalidation("I2J0I21PCUYOIK", "InProgress", paths, "ref"),) if done and paths else ()
    return Report(todo, done, paths, invalidations, "d111111abcdef8.cloudfront.net", None, 1.0)


def test_summary_names_a_few_invalidated_paths_then_counts_the_rest(site: Build) -> None:
    paths = tuple(f"/static/css/{i}.css" for i in range(8))
    line = summary_lines(report_with(first_plan(site), paths))[-1]
    assert line.startswith(
        "Invalidated 8 paths on d111111abcdef8.cloudfront.net (I2J0I21PCUYOIK, InProgress): "
    )
    assert "/static/css/0.css, /static/css/1.css" in line and "/static/css/4.css and 3 more." in line
    assert "/static/css/5.css" not in line


def test_summary_of_one_path_says_path(site: Build) -> None:
    line = summary_lines(report_with(first_plan(site), ("/static/robots.txt",)))[-1]
    assert "Invalidated 1 path on" in line and line.endswith(": /static/robots.txt.")


def test_dry_run_summary_says_would_invalidate(site: Build) -> None:
    line = summary_lines(report_with(first_plan(site), ("/static/a.css", "/static/b.css"), None))[-1]
    assert line == "Would invalidate 2 paths on d111111abcdef8.cloudfront.net: /static/a.css, /static/b.css."


def test_summary_counts_one_header_fix_in_the_singular(site: Build) -> None:
    line = summary_lines(report_with(first_plan(site), (), Done(uploaded=2, fixed=1)))[0]
    assert "1 header fix," in line


def test_plan_table_folds_the_release_key_in_a_narrow_terminal(site: Build) -> None:
    todo = first_plan(site)
    console = Console(width=60, record=True, color_system=None)
    console.print(plan_table(todo))
    text = console.export_text()
    assert "…" not in text
    column = "".join(cells[2].strip() for line in text.splitlines() if len(cells := line.split("│")) > 4)
    assert todo.release.key in column


def test_summary_of_a_publish_names_the_cdn_domain(site: Build) -> None:
    lines = summary_lines(report_with(first_plan(site), ()))
    assert "CDN domain: d111111abcdef8.cloudfront.net (the app's CDN_DOMAIN)." in lines


def _two_publishes(tmp_path: Path) -> tuple[Report, Report]:
    from cdnpub.sync.memory import MemoryStore
    from cdnpub.sync.publish import publish
    from cdnpub.sync.settings import Settings

    store = MemoryStore()
    settings = Settings(bucket=store.bucket, prefix="static", jobs=2)
    files: dict[str, str | bytes] = {"css/app.css": "a{}", "robots.txt": "x"}
    first = publish(
        build([Source(scan(write_tree(tmp_path / "v1", files)))], BuildOptions()), store, settings
    )
    files["css/app.css"] = "a{color:red}"
    second = publish(
        build([Source(scan(write_tree(tmp_path / "v2", files)))], BuildOptions()), store, settings
    )
    return first, second


def test_without_a_distribution_a_changed_plain_url_gets_a_line_on_its_cache_lifetime(tmp_path: Path) -> None:
    first, second = _two_publishes(tmp_path)
    assert not any("No distribution given" in line for line in summary_lines(first))  # nothing was live
    (line,) = [x for x in summary_lines(second) if "No distribution given" in x]
    assert "1 changed plain-name URL may serve old bytes for up to 300 s" in line

"""The shrink guard: which builds look like a mistake next to the live release."""

from __future__ import annotations

import pytest

from cdnpub.sync.shrink import served_paths, shrink

LIVE = ["css/app.css", "css/base.css", "js/app.js", "img/logo.png", "admin/admin.css", "admin/admin.js"]


def test_a_first_publish_is_never_a_shrink() -> None:
    assert shrink([], ["css/app.css"]) is None


def test_the_same_paths_are_no_shrink() -> None:
    assert shrink(LIVE, LIVE, ("", "admin")) is None


def test_dropping_half_the_paths_is_allowed() -> None:
    assert shrink(LIVE, LIVE[:3], ()) is None


def test_dropping_more_than_half_the_paths_stops() -> None:
    problem = shrink(LIVE, LIVE[:2], ())
    assert problem is not None and "drops 4 of the 6 paths" in problem
    assert "admin/admin.css, admin/admin.js, img/logo.png, ... (1 more)" in problem


def test_dropping_every_path_of_a_blueprints_folder_stops() -> None:
    problem = shrink(LIVE, LIVE[:4], ("", "admin"))
    assert problem is not None and "all 2 paths of the 'admin' blueprint's static folder" in problem


def test_dropping_every_path_of_the_apps_folder_stops() -> None:
    many = [*LIVE, *(f"admin/extra{i}.css" for i in range(10))]
    problem = shrink(many, [p for p in many if p.startswith("admin/")], ("", "admin"))
    assert problem is not None and "the app's static folder" in problem


def test_a_top_level_folder_of_the_app_is_not_a_static_folder() -> None:
    """Deleting img/ is an ordinary change: only whole static folders count."""
    assert shrink(LIVE, [p for p in LIVE if not p.startswith("img/")], ("", "admin")) is None


def test_renaming_files_counts_what_is_gone() -> None:
    assert shrink(LIVE[:2], ["css/site.css", "css/base.css"], ("",)) is None


@pytest.mark.parametrize("manifest", [{}, {"assets": None}, {"assets": []}, None])
def test_a_release_without_readable_assets_serves_nothing(manifest: object) -> None:
    assert served_paths(manifest) == frozenset()  # type: ignore[arg-type]


def test_served_paths_are_the_manifests_logical_paths() -> None:
    assert served_paths({"assets": {"css/app.css": {}, "admin/a.css": {}}}) == {"css/app.css", "admin/a.css"}

"""The release record's optional fields (folders, provenance): written only when known,
read back, absent from records of earlier versions; the shrink guard of publish()
guards the folders the live release recorded."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cdnpub import __version__
from cdnpub.build.fingerprint import build
from cdnpub.build.model import BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError
from cdnpub.sync.memory import MemoryStore
from cdnpub.sync.publish import publish
from cdnpub.sync.release import VERSION, ObjectRecord, Provenance, dumps, loads, new_release
from cdnpub.sync.settings import Settings
from tests.support.trees import write_tree

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
OBJ = ObjectRecord("a" * 64, "e", 3, "text/css", "max-age=60")


def _doc(data: bytes) -> dict[str, object]:
    doc: dict[str, object] = json.loads(gzip.decompress(data))
    return doc


def test_a_record_without_the_optional_fields_writes_none_of_them() -> None:
    doc = _doc(dumps(new_release("static", {"static/a.css": OBJ}, {}, T0)))
    assert "folders" not in doc and "provenance" not in doc and doc["version"] == VERSION == 1


def test_folders_and_provenance_round_trip_and_only_known_values_are_written() -> None:
    about = Provenance(revision="abc1234", run=None, version="9.9")
    release = replace(
        new_release("static", {"static/a.css": OBJ}, {}, T0), folders=("", "admin"), provenance=about
    )
    data = dumps(release)
    assert _doc(data)["provenance"] == {"revision": "abc1234", "cdnpub": "9.9"}
    back = loads(data, "x")
    assert back.folders == ("", "admin") and back.provenance == about and back.id == release.id


def test_the_optional_fields_are_not_part_of_the_release_id() -> None:
    plain = new_release("static", {"static/a.css": OBJ}, {}, T0)
    assert replace(plain, folders=("x",), provenance=Provenance("r", "u", "v")).id == plain.id


def test_a_record_of_an_earlier_version_loads_without_them() -> None:
    doc = _doc(dumps(new_release("static", {"static/a.css": OBJ}, {}, T0)))
    old = loads(json.dumps(doc).encode(), "x")
    assert old.folders is None and old.provenance == Provenance()


def _publish(store: MemoryStore, sources: list[Source], folders: tuple[str, ...], **extra: object) -> None:
    result = build(sources, BuildOptions(prefix="static"))
    chosen = Settings(bucket=store.bucket, prefix="static", jobs=2, folders=folders)
    publish(result, store, replace(chosen, **extra), now=T0)  # type: ignore[arg-type]


def test_publishing_the_app_folder_alone_over_a_release_with_a_blueprint_stops(tmp_path: Path) -> None:
    """Point 4: `cdnpub publish static/` over `flask cdn publish`'s release: the admin
    blueprint's 2 of 8 paths would go, under half, yet every path of its folder."""
    app = write_tree(tmp_path / "app", {f"css/{i}.css": f"a{{--i:{i}}}" for i in range(6)})
    admin = write_tree(tmp_path / "admin", {"admin.css": "b{}", "admin.js": "1"})
    store = MemoryStore()
    _publish(store, [Source(scan(app)), Source(scan(admin), "/admin/static", sub="admin")], ("", "admin"))
    before = dict(store.objects)
    with pytest.raises(UserError, match="all 2 paths of the 'admin' blueprint's static folder"):
        _publish(store, [Source(scan(app))], ("",))
    lease = "static/.cdnpub/lease.json"  # taken beside the first reads (tests/sync/test_lease.py)
    assert {k: v for k, v in store.objects.items() if k != lease} == {
        k: v for k, v in before.items() if k != lease
    }  # nothing written
    _publish(store, [Source(scan(app))], ("",), allow_shrink=True)
    assert len([k for k in store.objects if k.startswith("static/.cdnpub/releases/")]) == 2


def test_a_publish_records_its_folders_and_provenance(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {"a.css": "a{}"})
    store = MemoryStore()
    about = Provenance("f" * 40, "https://ci.example/run/1", __version__)
    _publish(store, [Source(scan(app))], ("",), provenance=about)
    (key,) = [k for k in store.objects if k.startswith("static/.cdnpub/releases/")]
    record = loads(store.body(key), key)
    assert record.folders == ("",) and record.provenance == about

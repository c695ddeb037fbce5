"""export.py: the built tree written to a folder, byte for byte what the manifest says."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnpub.build import export as export_module
from cdnpub.build.export import export, relative
from cdnpub.build.fingerprint import build
from cdnpub.build.model import Build, BuildOptions, Source
from cdnpub.build.scan import scan
from cdnpub.errors import UserError

MakeTree = Callable[..., Path]

FILES: dict[str, str | bytes] = {
    "css/app.css": "body { background: url(../img/a.png) }\n",  # edited: the reference is rewritten
    "js/app.js": "let a = 1;\n//# sourceMappingURL=app.js.map\n",  # edited: the map comment
    "js/app.js.map": '{"version": 3}',
    "img/a.png": b"\x89PNG" + bytes(range(256)) * 300,  # unedited: copied by the kernel
    "img/empty.gif": b"",
    "fonts/f-4f3a9c1d.woff2": b"wOF2" + b"x" * 5000,  # already fingerprinted: no plain copy
}


def _build(root: Path) -> Build:
    return build([Source(scan(str(root)), url_path="/static")], BuildOptions(prefix="static"))


def _written(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_every_exported_file_holds_the_bytes_its_manifest_entry_hashes(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    result = _build(make_tree(FILES))
    out = tmp_path / "out"
    written = export(result, out)
    files = _written(out)
    expected = {relative(k, "static") for a in result.assets for k in (a.key, a.plain_key) if k}
    assert written == len(expected) == 11 and set(files) == expected
    for asset in result.assets:
        for key in filter(None, (asset.key, asset.plain_key)):
            assert hashlib.sha256(files[relative(key, "static")]).hexdigest() == asset.sha256, key


def test_unedited_files_are_copies_not_links_to_the_source(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(FILES)
    result = _build(root)
    export(result, tmp_path / "out")
    png = next(a for a in result.assets if a.path == "img/a.png")
    exported = tmp_path / "out" / relative(png.key, "static")
    assert not os.path.samefile(exported, root / "img/a.png")
    (root / "img/a.png").write_bytes(b"rewritten in place")  # same inode, as a bundler does
    assert hashlib.sha256(exported.read_bytes()).hexdigest() == png.sha256


def test_a_file_changed_since_the_build_is_not_exported_under_its_old_name(
    make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(FILES)
    result = _build(root)
    (root / "img/a.png").write_bytes(b"\x89PNG other bytes of another size")
    with pytest.raises(UserError, match="changed since the build"):
        export(result, tmp_path / "out")


def test_where_the_kernel_cannot_copy_a_range_the_bytes_are_copied_all_the_same(
    make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(src: int, dst: int, count: int) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(export_module.os, "copy_file_range", cross_device, raising=False)
    result = _build(make_tree(FILES))
    export(result, tmp_path / "out")
    files = _written(tmp_path / "out")
    png = next(a for a in result.assets if a.path == "img/a.png")
    assert hashlib.sha256(files[relative(png.key, "static")]).hexdigest() == png.sha256


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="os.copy_file_range is Linux's")
def test_a_short_kernel_copy_is_finished_by_the_loop(
    make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.copy_file_range
    calls: list[int] = []

    def a_bit_then_unsupported(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if len(calls) == 1:
            return real(src, dst, 100)
        raise OSError(errno.EOPNOTSUPP, "not supported")

    monkeypatch.setattr(export_module.os, "copy_file_range", a_bit_then_unsupported)
    result = _build(make_tree(FILES))
    export(result, tmp_path / "out")
    png = next(a for a in result.assets if a.path == "img/a.png")
    data = (tmp_path / "out" / relative(png.key, "static")).read_bytes()
    assert hashlib.sha256(data).hexdigest() == png.sha256 and calls


def test_a_second_export_over_the_first_leaves_the_same_files(make_tree: MakeTree, tmp_path: Path) -> None:
    result = _build(make_tree(FILES))
    export(result, tmp_path / "out")
    first = _written(tmp_path / "out")
    export(result, tmp_path / "out")
    assert _written(tmp_path / "out") == first

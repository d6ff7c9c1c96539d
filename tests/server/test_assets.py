"""The pages' script bundles: the shared helpers once, then the page's own modules; named by content."""

from __future__ import annotations

import shutil
from pathlib import Path

from virtual_office.server.assets import SCRIPTS, SHARED_SCRIPT, build_scripts
from virtual_office.server.templating import SERVER

SHARED_MARK = "var VO = window.VO = window.VO || {};"


def test_each_bundle_has_the_shared_helpers_once_and_the_pages_code(tmp_path: Path) -> None:
    scripts = build_scripts(tmp_path)
    assert set(scripts.files) == {"waiting_room", "visit", "console", "admin", "booking"}
    for page, files in SCRIPTS.items():
        text = (tmp_path / scripts.files[page]).read_text(encoding="utf-8")
        assert text.count(SHARED_MARK) == 1, page
        assert text.startswith((SERVER / SHARED_SCRIPT).read_text(encoding="utf-8")), page
        position = 0
        for name in files:  # every module, whole and in order
            position = text.index((SERVER / name).read_text(encoding="utf-8"), position)
        assert scripts.url(page) == f"/assets/{scripts.files[page]}"
    visit = (tmp_path / scripts.files["visit"]).read_text(encoding="utf-8")
    assert "window.VirtualOfficeVisit = " in visit and "VO.exchange = " in visit
    waiting_room = (tmp_path / scripts.files["waiting_room"]).read_text(encoding="utf-8")
    assert "window.VirtualOfficeConnectionCheck = " in waiting_room and "VO.visit = " not in waiting_room
    console = (tmp_path / scripts.files["console"]).read_text(encoding="utf-8")
    assert "window.VirtualOfficeConsole = " in console and "VO.console = " in console
    # no page script brings a copy of a shared helper of its own
    for copy in ("function $(", "function t(", "function fmt(", "function stored(", "function gathered("):
        assert all(copy not in (tmp_path / name).read_text(encoding="utf-8") for name in scripts.files.values()), copy


def test_the_url_changes_with_the_content(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for name in {SHARED_SCRIPT, *(n for files in SCRIPTS.values() for n in files)}:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SERVER / name, source / name)
    before = build_scripts(tmp_path / "one", source)
    assert before.files == build_scripts(tmp_path / "two", SERVER).files  # the same content, the same names

    with (source / "console/static/console.js").open("a", encoding="utf-8") as fh:
        fh.write("/* changed */\n")
    after = build_scripts(tmp_path / "three", source)
    assert after.files["console"] != before.files["console"]
    assert {page: after.files[page] for page in ("waiting_room", "visit", "admin")} == {
        page: before.files[page] for page in ("waiting_room", "visit", "admin")
    }

    with (source / SHARED_SCRIPT).open("a", encoding="utf-8") as fh:
        fh.write("/* changed */\n")
    shared = build_scripts(tmp_path / "four", source)
    assert all(shared.files[page] != after.files[page] for page in SCRIPTS)

"""Static URLs: the manifest's hashed name when collected, the plain name before; kept."""

from rapport.core.storage import StaticStorage


def test_a_static_url_is_worked_out_once_and_is_the_same_after(tmp_path, settings):
    settings.STATIC_ROOT = str(tmp_path)
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    first = storage.url("web/rapport.css")
    assert first == "/static/web/rapport.css"  # nothing collected: the plain name
    assert storage._urls == {("web/rapport.css", False, settings.DEBUG): first}
    assert storage.url("web/rapport.css") == first


def test_with_a_manifest_the_hashed_name_is_kept(tmp_path, settings):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.css").write_text("body{}")
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    storage.hashed_files = {"web/a.css": "web/a.0123456789ab.css"}
    assert storage.url("web/a.css") == "/static/web/a.0123456789ab.css"
    storage.hashed_files = {}  # a new manifest is read by a new storage, as before
    assert storage.url("web/a.css") == "/static/web/a.0123456789ab.css"

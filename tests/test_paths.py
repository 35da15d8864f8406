"""Where downloads are cached: $DEEPER_CACHE, else ~/.cache/deeper; never the current folder by accident."""

import pytest

from deeper.paths import cache_dir


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_deeper_cache_means_the_default_not_the_current_folder(tmp_path, monkeypatch, value):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEEPER_CACHE", value)
    assert cache_dir() == tmp_path / "home" / ".cache" / "deeper"


def test_deeper_cache_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine" and (tmp_path / "mine").is_dir()


def test_deeper_cache_on_a_file_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path / "f"))
    with pytest.raises(NotADirectoryError, match="DEEPER_CACHE=.* is a file, not a folder"):
        cache_dir()

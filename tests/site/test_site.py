"""The built site (`make site`), opened from disk in Debian's chromium: every page is there, shows its
pictures and its widgets (drawn from the saved state, offline), and has its launch buttons.

`make site` runs these right after building; `make test` does not collect this folder (pyproject's
norecursedirs), since the site is built from what `make test` executed.
"""

import os
from pathlib import Path

import nbformat
import pytest

# the browser fixtures come from tests/conftest.py
from notebooks import REPO, notebook_names, widget_states
from tools import nbtools

pytestmark = pytest.mark.browser

SITE = Path(os.environ.get("SITE", REPO / "build" / "site"))  # tools.site --out
HTML = SITE / "_build" / "html"
PAGES = SITE / "source" / "course"  # the notebooks the pages were made from
SHOTS = REPO / "tests" / "output" / "site"
NOTEBOOKS = notebook_names()


def url(relative: str) -> str:
    path = HTML / relative
    assert path.is_file(), f"{path} is missing: run `make site` (after `make test`)"
    return path.as_uri()


def offline(page) -> list[str]:
    """Every request the page makes that is not for a file on disk (or inline data) is recorded."""
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    return outside


def images_loaded(page, selector: str = "img") -> list[dict]:
    return page.eval_on_selector_all(selector, "els => els.map(e => ({src: e.currentSrc.slice(0, 60), "
                                               "ok: e.complete && e.naturalWidth > 0}))")


def test_index_is_the_readme_with_its_table(page):
    outside = offline(page)
    page.goto(url("index.html"))
    page.wait_for_load_state("load")
    links = page.eval_on_selector_all("article a", "els => els.map(e => e.getAttribute('href'))")
    for name in NOTEBOOKS:
        stem = Path(name).stem
        assert any(h and h.split("#")[0] == f"course/{stem}.html" for h in links), f"the index links no page for {name}"
        assert nbtools.colab_url(name) in links, f"the index has no Colab badge for {name}"
    pictures = images_loaded(page, "article img")
    shown = (REPO / "README.md").read_text().count("](docs/screenshots/")
    assert len(pictures) == shown and all(p["ok"] for p in pictures), pictures
    assert not outside, f"the index asked the network for {outside}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_page_shows_its_pictures_and_widgets(page, name):
    assert (PAGES / name).is_file(), f"{PAGES / name} is missing: run `make site` (after `make test`)"
    executed = nbformat.read(PAGES / name, as_version=4)
    title = executed.cells[0].source.splitlines()[0].lstrip("# ").strip()
    pngs = sum("image/png" in out.get("data", {}) for c in executed.cells for out in c.get("outputs", []))
    views = sum("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                for c in executed.cells for out in c.get("outputs", []))
    widget_images = [m for m in widget_states(executed, "ImageModel") if m["state"].get("value") or m.get("buffers")]

    outside = offline(page)
    page.goto(url(f"course/{Path(name).stem}.html"))
    page.wait_for_load_state("load")
    assert page.locator("article h1").first.inner_text().strip().rstrip("#").strip() == title
    if views:  # the saved widget state, drawn by the local @jupyter-widgets/html-manager
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=30_000)
    if widget_images:
        page.wait_for_function("() => [...document.querySelectorAll('img.widget-image')]"
                               ".some(e => e.complete && e.naturalWidth > 0)", timeout=30_000)
    pictures = images_loaded(page, "article img")
    broken = [p for p in pictures if not p["ok"]]
    assert not broken, f"{name}: pictures that did not load: {broken}"
    assert len(pictures) >= pngs + min(len(widget_images), 1), \
        f"{name}: {len(pictures)} pictures on the page, the notebook has {pngs} PNG outputs and widget images"
    # Launch buttons: Colab (the theme's rocket menu and the badge), and how to run it locally.
    launch = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert nbtools.colab_url(name) in launch, f"{name}: no Colab launch link"
    assert page.get_by_text("On your own machine").count() == 1 and "make lab" in page.content()
    assert not outside, f"{name}: the page asked the network for {outside}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(name).stem}.png"), full_page=True)

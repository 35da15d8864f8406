"""A real JupyterLab on 127.0.0.1, driven through Playwright in Debian's chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium. A missing browser is a failure,
never a skip (`.ci/run` installs it). Screenshots land in tests/output/screenshots/.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import papermill
import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
# Cells a browser run leaves out, by tag: measurements and picture grids that no widget reads. The
# papermill run of the same notebook (tests/notebooks.py) executes them and its tests check them, so
# running them again in JupyterLab adds minutes of CI and no test (notebook 20's table alone is two).
NOT_IN_THE_BROWSER = {
    "10_sd_pipeline.ipynb": ("seeds", "same-seed", "steps", "guidance", "negative", "img2img"),
    # the swapped word and textual inversion: half a minute a run, and the attention explorer reads none of it
    "14_sd_text_and_attention.ipynb": ("swap", "ti-before", "ti-learn", "ti-measure", "ti-compose"),
    "20_progressive_distillation.ipynb": ("live-data", "live", "live-images", "table", "plot", "target"),
    "22_imagic.ipynb": ("table",),
}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab serving a folder of notebooks prepared with CI=True."""

    def __init__(self, root: Path):
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        jupyter = Path(sys.executable).parent / "jupyter"
        self.log = open(root / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root}", "--allow-root",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token={self.token}", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not start; see {self.root / 'jupyterlab.log'}")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?token={self.token}&reset"

    def prepare(self, notebook: str, **parameters) -> str:
        """Copy course/`notebook` into the served folder with CI=True (and `parameters`) injected,
        less its NOT_IN_THE_BROWSER cells."""
        path = self.root / notebook
        papermill.execute_notebook(str(REPO / "course" / notebook), str(path),
                                   parameters={"CI": True, **parameters}, prepare_only=True)
        nb = nbformat.read(path, as_version=4)
        left_out = set(NOT_IN_THE_BROWSER.get(notebook, ()))
        tags = lambda cell: set(cell.get("metadata", {}).get("tags", []))  # noqa: E731
        missing = left_out - set().union(*map(tags, nb.cells))
        assert not missing, f"{notebook} has no cell tagged {sorted(missing)}: update NOT_IN_THE_BROWSER"
        nb.cells = [c for c in nb.cells if not tags(c) & left_out]
        nbformat.write(nb, path)
        return notebook

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("lab"))
    yield lab
    lab.stop()


@pytest.fixture(scope="session")
def browser():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


def open_and_run(page, lab: Lab, notebook: str, **parameters):
    """Open the notebook (as `Lab.prepare` leaves it) in JupyterLab, wait for its kernel, and run all its cells."""
    lab.prepare(notebook, **parameters)
    page.goto(lab.url(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def run_all(page, lab: Lab, notebook: str, timeout_ms: int = 300_000, **parameters):
    """Open the notebook, run all its cells, wait for them to finish, and check none failed."""
    open_and_run(page, lab, notebook, **parameters)
    wait_for_idle(page, timeout_ms=timeout_ms)
    errors = cell_errors(page)
    assert not errors, f"{notebook}: cells failed in JupyterLab: {errors[:5]}"


def wait_for_idle(page, timeout_ms: int = 300_000):
    """Wait until every cell has run: no cell shows the `[*]` prompt and the kernel is idle."""
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-InputPrompt').length > 0 && "
        "![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*')) && "
        "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=timeout_ms,
    )


def screenshot(target, name: str) -> Path:
    """Save a screenshot of a page or an element under tests/output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


def cell_errors(page) -> list[str]:
    return page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr'] .ansi-red-fg, "
                        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").all_inner_texts()

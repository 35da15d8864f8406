"""`make site`: the course as a static website, built with Jupyter Book from the notebooks as the tests
executed them (tests/output/notebooks), with their saved widget state, so images and widgets show.

A page per notebook with launch buttons (Colab, and how to run it locally), the README as the index
(its table of notebooks linking to the pages). Nothing is executed and nothing is fetched: the
widget renderer (@jupyter-widgets/html-manager) was put in .venv-site by the Makefile, from npm.
A notebook the tests did not run, or that failed there, or that changed since, stops the build and
says so: the site never shows a page that CI did not see work.

    .venv/bin/python -m tools.site [--notebooks tests/output/notebooks] [--out build/site]
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from . import nbtools
from .nbtools import COURSE, REPO

EXECUTED = REPO / "tests" / "output" / "notebooks"
OUT = REPO / "build" / "site"
SITE_VENV = REPO / ".venv-site"
HTML_MANAGER = SITE_VENV / "share" / "html-manager"  # dist/ of @jupyter-widgets/html-manager (Makefile)
MATHJAX = SITE_VENV / "share" / "mathjax"  # es5/ of MathJax 3 (Makefile)
PAGES = "course"  # the notebook pages' folder in the site, as in the repository, so Colab's button finds them


class SiteError(RuntimeError):
    """The site cannot be built as asked; the message says what happened and what to do."""


# --- the notebooks, as CI ran them -------------------------------------------------------------------
def code_sources(nb) -> list[str]:
    """A notebook's code cells, less the cell papermill injects with the CI parameters."""
    return [c.source for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]


def checked_executed(name: str, executed: Path) -> nbformat.NotebookNode:
    """course/`name` as the tests executed it, refused if it is missing, failed, or is out of date."""
    path = Path(executed) / name
    if not path.is_file():
        raise SiteError(f"course/{name} has not been executed by the tests (no {path}). Run `make test` "
                        f"first: the site shows the notebooks as CI ran them")
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise SiteError(f"course/{name} failed when the tests ran it: cell {number} raised "
                                f"{out.get('ename')}: {out.get('evalue')}. Fix the notebook (its test says more) "
                                f"and run `make test` again; the site is built only from notebooks that ran")
    if nb.metadata.get("papermill", {}).get("exception"):
        raise SiteError(f"course/{name} stopped with an error when the tests ran it ({path}); run `make test`")
    source = nbformat.read(COURSE / name, as_version=4)
    if code_sources(nb) != code_sources(source):
        raise SiteError(f"course/{name} has changed since the tests ran it ({path} is older). Run `make test` "
                        f"(or the notebook's own tests) again, then `make site`")
    return nb


def run_here_cell(name: str) -> nbformat.NotebookNode:
    url = nbtools.repository_url()
    folder = url.rstrip("/").rsplit("/", 1)[-1]
    return nbformat.v4.new_markdown_cell(
        "```{admonition} Run this notebook\n:class: tip\n"
        f"**On Colab:** [open it in Colab]({nbtools.colab_url(name)}) (or use the rocket button at the top of "
        "this page); its first cell installs the course.\n\n"
        f"**On your own machine** (Linux or macOS, Python 3.10 or later, `make`):\n\n"
        f"    git clone {url}\n    cd {folder}\n    make lab\n\n"
        f"then open `{name}` in the JupyterLab that opens. This page shows the notebook as CI ran it "
        "(`CI = True`: small settings, so some pictures are smaller than yours will be).\n```")


BADGE = re.compile(r"\[!\[Open in Colab\]\([^)]*\)\]\(([^)]*)\)")


def offline_badges(markdown: str) -> str:
    """Colab's badge is a picture on Colab's host: a page read offline gets a plain link instead."""
    return BADGE.sub(r"**[Open in Colab](\1)**", markdown)


def page(name: str, executed: Path) -> nbformat.NotebookNode:
    nb = checked_executed(name, executed)
    nb.cells[0].source = offline_badges(nb.cells[0].source)
    nb.cells.insert(1, run_here_cell(name))
    return nb


# --- the index, from the README ----------------------------------------------------------------------
LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")


def index_markdown(readme: Path, source: Path) -> str:
    """The README with its links made to work in the site: notebooks to their pages, pictures copied
    beside it, anything else in the repository to its page on the repository's host."""
    url = nbtools.repository_url().rstrip("/")

    def link(match):
        text, target = match.groups()
        if re.match(r"^[a-z]+:|^#", target):
            return match.group(0)
        if target.startswith("course/") and target.endswith(".ipynb"):
            return f"{text}({target})"
        if text.startswith("!"):
            (source / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / target, source / target)
            return f"{text}({target})"
        return f"{text}({url}/blob/main/{target})"

    return LINK.sub(link, offline_badges(Path(readme).read_text()))


def config(title: str) -> str:
    url = nbtools.repository_url()
    return json.dumps({  # YAML is a superset of JSON
        "title": title,
        "author": "the course's authors",
        "copyright": str(time.gmtime().tm_year),
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "repository": {"url": url, "branch": "main", "path_to_book": ""},
        "launch_buttons": {"colab_url": "https://colab.research.google.com", "notebook_interface": "classic"},
        "html": {"use_repository_button": True, "use_issues_button": False, "home_page_in_navbar": True},
        "sphinx": {"config": {
            "html_static_path": ["_static"],
            # Widgets drawn from the saved state by a local copy of the renderer, not by one from a CDN
            # (on every page: myst-nb's own nb_ipywidgets_js adds it twice to pages after the first).
            "nb_ipywidgets_js": {},
            "html_js_files": ["html-manager/embed.js"],
            "mathjax_path": "mathjax/tex-mml-chtml.js",
            "html_show_sourcelink": False,
            "suppress_warnings": ["mystnb.unknown_mime_type", "myst.header"],
        }},
    }, indent=1)


def write_source(source: Path, executed: Path) -> list[str]:
    """The book's source folder: config, table of contents, index and a page per notebook."""
    names = sorted(p.name for p in COURSE.glob("*.ipynb"))
    if not names:
        raise SiteError(f"{COURSE} holds no notebook")
    pages = [page(name, executed) for name in names]  # every notebook checked before anything is written
    for needed in (HTML_MANAGER / "embed.js", MATHJAX / "tex-mml-chtml.js"):
        if not needed.is_file():
            raise SiteError(f"{needed} is missing; `make site` installs it (rm -rf .venv-site and run `make site` again)")
    shutil.rmtree(source, ignore_errors=True)
    (source / PAGES).mkdir(parents=True)
    for name, nb in zip(names, pages):
        nbformat.write(nb, source / PAGES / name)
    shutil.copytree(HTML_MANAGER, source / "_static" / "html-manager", ignore=shutil.ignore_patterns("*.map", "*amd.js"))
    shutil.copytree(MATHJAX, source / "_static" / "mathjax", ignore=shutil.ignore_patterns("sre", "*svg*", "*full*"))
    readme = index_markdown(REPO / "README.md", source)
    title = readme.splitlines()[0].lstrip("# ").strip()
    (source / "index.md").write_text(readme)
    (source / "_config.yml").write_text(config(title))
    toc = {"format": "jb-book", "root": "index", "chapters": [{"file": f"{PAGES}/{Path(n).stem}"} for n in names]}
    (source / "_toc.yml").write_text(json.dumps(toc, indent=1))
    return names


def build(executed: Path = EXECUTED, out: Path = OUT) -> Path:
    """Build the site into `out`; returns the folder holding index.html."""
    out = Path(out)
    source = out / "source"
    names = write_source(source, executed)
    book = SITE_VENV / "bin" / "jupyter-book"
    if not book.is_file():
        raise SiteError(f"Jupyter Book is not installed ({book}); `make site` installs it")
    shutil.rmtree(out / "_build", ignore_errors=True)
    done = subprocess.run([str(book), "build", str(source), "--path-output", str(out), "--builder", "html"],
                          capture_output=True, text=True)
    html = out / "_build" / "html"
    if done.returncode != 0:
        raise SiteError(f"jupyter-book build failed (exit status {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    missing = [n for n in ["index.html", *(f"{PAGES}/{Path(n).stem}.html" for n in names)] if not (html / n).is_file()]
    if missing:
        raise SiteError(f"jupyter-book built no page for {', '.join(missing)}:\n{done.stdout[-3000:]}")
    return html


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.site", description=__doc__.split("\n\n")[0])
    p.add_argument("--notebooks", default=str(EXECUTED), help="the executed notebooks (default: make test's)")
    p.add_argument("--out", default=str(OUT), help="where to build (default: build/site)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    try:
        html = build(Path(args.notebooks), Path(args.out))
    except SiteError as e:
        print(f"make site: {e}", file=sys.stderr)
        return 1
    print(f"built {html / 'index.html'} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

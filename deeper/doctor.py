"""The environment check: `python -m deeper doctor`, or in a notebook `from deeper.doctor import doctor; doctor()`.

One line says what runs the course here (Python, torch, diffusers, transformers and ipywidgets
versions; Colab or local; the device and dtype; the shipped models; the widget front end), then one
line per problem saying what to do. Colab's setup cell calls it right after installing the course.
"""

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .paths import DATA, REPO

DISTRIBUTION = "deep-learning-diving-deeper"
SHOWN = ("torch", "diffusers", "transformers", "ipywidgets")  # in the one-line summary; every floor is checked
# The widget front end each ipywidgets major version needs in JupyterLab (and in the classic notebook).
FRONT_ENDS = {7: ("jupyterlab_widgets", 1, "widgetsnbextension", 3), 8: ("jupyterlab_widgets", 3, "widgetsnbextension", 4)}
SMALL_GPU = 6 * 2**30  # bytes: real SD v1.5 in float16 needs about 4 GB (DESIGN.md)


@dataclass
class Check:
    """One thing looked at: what was found, and (when `level` is not "ok") what to do about it."""

    name: str
    found: str
    level: str = "ok"  # "ok", "note" (works, but worth knowing) or "problem" (something will fail)
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level:<7}  {self.name}: {self.found}"
        return f"{text}. {self.fix}" if self.fix else text


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    summary: str = ""

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.level == "problem"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, verbose: bool = False) -> str:
        """The summary line, then every check (verbose) or only those that need attention."""
        shown = self.checks if verbose else [c for c in self.checks if c.level != "ok"]
        return "\n".join([self.summary, *(c.line() for c in shown)])


# --- what is installed -------------------------------------------------------------------------------
def requirements() -> tuple[str, list[Requirement]]:
    """requires-python and the run-time dependencies, from the installed package (else pyproject.toml)."""
    try:
        meta = metadata.metadata(DISTRIBUTION)
        python = meta.get("Requires-Python") or ""
        reqs = [Requirement(r) for r in metadata.requires(DISTRIBUTION) or []]
    except metadata.PackageNotFoundError:
        import tomllib  # the package is not installed: read the checkout's pyproject.toml

        with open(REPO / "pyproject.toml", "rb") as f:
            project = tomllib.load(f)["project"]
        python, reqs = project["requires-python"], [Requirement(r) for r in project["dependencies"]]
    return python, [r for r in reqs if r.marker is None]


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def install_hint(spec: str) -> str:
    if in_colab():
        return f'run `%pip install "{spec}"`, then Runtime > Restart session'
    return f'run `pip install "{spec}"` in the course\'s environment'


def check_python(spec: str) -> Check:
    found = platform.python_version()
    if spec and not SpecifierSet(spec).contains(found):
        return Check("Python", found, "problem", f"The course needs Python {spec}: use a newer Python")
    return Check("Python", found)


def check_package(req: Requirement, version: str | None) -> Check:
    if version is None:
        return Check(req.name, "not installed", "problem", f"It is needed: {install_hint(str(req))}")
    try:
        admitted = req.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        admitted = True  # a local build with an odd version string: nothing to compare
    if not admitted:
        return Check(req.name, version, "problem", f"The course needs {req}: {install_hint(str(req))}")
    return Check(req.name, version)


# --- where it runs -----------------------------------------------------------------------------------
def check_device() -> Check:
    import torch

    from .device import mps_available, pick_device

    choice = pick_device()
    if choice.device == "cuda":
        memory = torch.cuda.get_device_properties(0).total_memory
        found = f"{choice}, {memory / 2**30:.0f} GB"
        if memory < SMALL_GPU:
            return Check("device", found, "note", "A real Stable Diffusion in float16 needs about 4 GB of GPU "
                         "memory: close other notebooks on this GPU; the shipped tiny model needs almost none")
        return Check("device", found)
    if in_colab():
        return Check("device", str(choice), "note",
                     "This Colab runtime has no GPU. The shipped tiny model runs on the CPU; for a real Stable "
                     "Diffusion (MODEL_ID = a hub id) choose Runtime > Change runtime type > a GPU (T4 will do)")
    if sys.platform == "darwin" and platform.machine() == "arm64" and not mps_available():
        return Check("device", str(choice), "note",
                     "This Mac has an Apple GPU but this torch cannot use it (MPS): install torch from "
                     "pytorch.org for macOS (any torch >= 2.4 wheel for arm64 has MPS)")
    return Check("device", str(choice))


def check_models(data: Path = DATA) -> list[Check]:
    """Each shipped model folder, file by file (data/tiny-sd with the loader's own check)."""
    from .manifest import ShippedFileError, verify
    from .tinysd import ModelFolderError, check_model_folder

    checks = []
    for name in ("tiny-sd", "tiny-clip", "evaluator", "students"):
        folder = Path(data) / name
        try:
            if name == "tiny-sd":
                check_model_folder(folder)
            elif not folder.is_dir():
                raise ShippedFileError(f"The model folder {folder} does not exist. Restore it with "
                                       f"`git checkout -- data/{name}`")
            verify(folder)
        except (ModelFolderError, ShippedFileError, OSError, ValueError) as e:
            checks.append(Check(f"data/{name}", "damaged or missing", "problem", str(e).rstrip(".")))
        else:
            checks.append(Check(f"data/{name}", "verified"))
    return checks


def check_front_end(ipywidgets_version: str | None) -> Check:
    """Which widget front end will draw the widgets, where a kernel can know it."""
    if ipywidgets_version is None:
        return Check("widget front end", "unknown (no ipywidgets)")
    major = Version(ipywidgets_version).major
    if in_colab():
        if major != 7:
            return Check("widget front end", f"Colab's own, with ipywidgets {ipywidgets_version}", "note",
                         "Colab's front end is made for ipywidgets 7.7.1, which it preinstalls; if a widget "
                         "shows as text, run `%pip install ipywidgets==7.7.1` and restart the session")
        return Check("widget front end", "Colab's own (ipywidgets 7)")
    lab_name, lab_major, nb_name, nb_major = FRONT_ENDS.get(major, FRONT_ENDS[8])
    lab = installed_version(lab_name)
    if lab is None:
        return Check("widget front end", f"no {lab_name}", "note",
                     f"JupyterLab shows ipywidgets {major} only with {lab_name} {lab_major}.x: "
                     f"{install_hint(f'{lab_name}>={lab_major},<{lab_major + 1}')} (VS Code brings its own)")
    if Version(lab).major != lab_major:
        return Check("widget front end", f"{lab_name} {lab}", "problem",
                     f"ipywidgets {ipywidgets_version} needs {lab_name} {lab_major}.x, or widgets show as text: "
                     f"{install_hint(f'{lab_name}>={lab_major},<{lab_major + 1}')}")
    classic = installed_version(nb_name)
    return Check("widget front end", f"{lab_name} {lab}" + (f", {nb_name} {classic}" if classic else ""))


# --- the report --------------------------------------------------------------------------------------
def check(data: Path = DATA) -> Report:
    python_spec, reqs = requirements()
    versions = {r.name: installed_version(r.name) for r in reqs}
    checks = [check_python(python_spec), *(check_package(r, versions[r.name]) for r in reqs)]
    place = Check("running", "Colab" if in_colab() else "local")
    try:
        device = check_device()
    except Exception as e:  # noqa: BLE001 - a broken driver is itself what the report must say
        device = Check("device", f"{type(e).__name__}: {e}", "problem",
                       "torch cannot reach this machine's accelerator: set DEVICE = 'cpu' in the parameters cell, "
                       "or restart the runtime")
    models = check_models(data)
    front_end = check_front_end(versions.get("ipywidgets") or installed_version("ipywidgets"))
    checks += [place, device, *models, front_end]
    shown = [f"Python {platform.python_version()}"]
    shown += [f"{name} {versions.get(name) or installed_version(name) or 'missing'}" for name in SHOWN]
    bad_models = [c.name for c in models if c.level != "ok"]
    shown += [place.found, device.found, "models " + ("verified" if not bad_models else "DAMAGED: " + ", ".join(bad_models)),
              f"widgets: {front_end.found}"]
    report = Report(checks)
    problems, notes = len(report.problems), sum(c.level == "note" for c in checks)
    verdict = "all good" if not problems and not notes else f"{problems} problem(s), {notes} note(s) below"
    report.summary = "deeper doctor: " + " · ".join(shown) + f" — {verdict}"
    return report


def doctor(verbose: bool = False, data: Path = DATA) -> Report:
    """Print the environment check (one line when all is well, plus a line per problem) and return it."""
    report = check(data)
    print(report.text(verbose))
    return report


def main(verbose: bool = True) -> int:
    """`python -m deeper doctor`: every check; exit status 1 when something will fail."""
    return 0 if doctor(verbose=verbose).ok else 1

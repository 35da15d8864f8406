"""`make test-colab` checks its environment before running the notebooks in it: every package at the
version `.ci/colab-constraints.txt` pins, and the `python3` kernel papermill will start is this very
interpreter (a kernel from another environment would test the newest releases instead, silently).

    .venv-colab/bin/python -m tools.colab_pins      # exit status 1, naming each mismatch
"""

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
CONSTRAINTS = REPO / ".ci" / "colab-constraints.txt"


def pins(path: Path = CONSTRAINTS) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    reqs = [Requirement(line) for line in lines if line]
    bad = [str(r) for r in reqs if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    if bad:
        raise ValueError(f"{path}: every line must pin one version with ==; not {', '.join(bad)}")
    return reqs


def mismatches(reqs: list[Requirement]) -> list[str]:
    problems = []
    for req in reqs:
        wanted = next(iter(req.specifier)).version
        try:
            found = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name}: not installed, Colab has {wanted}")
            continue
        if found != wanted:
            problems.append(f"{req.name}: {found} installed, Colab has {wanted}")
    return problems


def kernel_problem(kernel_name: str = "python3") -> str | None:
    """Why the kernel papermill would start is not this interpreter (None when it is)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return f"no {kernel_name!r} kernel: run `{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}`"
    executable = spec.argv[0]
    if Path(executable).absolute() != Path(sys.executable).absolute():
        return f"the {kernel_name!r} kernel ({spec.resource_dir}) runs {executable}, not {sys.executable}"
    return None

def main() -> int:
    problems = mismatches(pins())
    kernel = kernel_problem()
    problems += [kernel] if kernel else []
    for line in problems:
        print(f"colab pins: {line}", file=sys.stderr)
    if problems:
        print(f"colab pins: {len(problems)} mismatch(es) with {CONSTRAINTS.relative_to(REPO)}; rebuild the "
              f"environment with `rm -rf .venv-colab && make test-colab`", file=sys.stderr)
        return 1
    print(f"colab pins: {len(pins())} packages at Colab's versions; the python3 kernel is {sys.executable}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""make test-colab refuses to run in an environment that is not Colab's versions (tools/colab_pins.py)."""

from importlib import metadata

import pytest

from tools import colab_pins


def test_the_constraints_pin_colabs_published_versions():
    pins = {r.name: str(r.specifier) for r in colab_pins.pins()}
    for name, version in [("diffusers", "0.39.0"), ("transformers", "5.15.0"), ("ipywidgets", "7.7.1"),
                          ("ipython", "7.34.0"), ("ipykernel", "6.17.1"), ("numpy", "2.1.3"), ("matplotlib", "3.10.0")]:
        assert pins[name] == f"=={version}"
    assert "torch" not in pins, "the CPU torch wheel stays: Colab's is a CUDA build"


def test_a_package_at_another_version_is_named(tmp_path):
    installed = metadata.version("nbformat")
    constraints = tmp_path / "c.txt"
    constraints.write_text(f"# a comment\nnbformat=={installed}\npytest==0.0.1\nno-such-package-here==1.0\n")
    assert colab_pins.mismatches(colab_pins.pins(constraints)) == [
        f"pytest: {metadata.version('pytest')} installed, Colab has 0.0.1",
        "no-such-package-here: not installed, Colab has 1.0",
    ]


def test_a_line_that_pins_nothing_is_refused(tmp_path):
    constraints = tmp_path / "c.txt"
    constraints.write_text("numpy>=2\n")
    with pytest.raises(ValueError, match="every line must pin one version with ==; not numpy>=2"):
        colab_pins.pins(constraints)


def test_the_kernel_must_be_this_interpreter(monkeypatch):
    from jupyter_client import kernelspec

    class Spec:
        argv, resource_dir = ["/somewhere/else/bin/python", "-m", "ipykernel_launcher"], "/somewhere/kernels/python3"

    assert colab_pins.kernel_problem() is None, "this venv's python3 kernel is its own (Makefile)"
    monkeypatch.setattr(kernelspec.KernelSpecManager, "get_kernel_spec", lambda self, name: Spec())
    assert "runs /somewhere/else/bin/python, not" in colab_pins.kernel_problem()

"""The environment check: one line when all is well, and for each problem a line saying what to do."""

import os
import shutil
import subprocess
import sys

import pytest
import torch

from deeper import doctor as doc
from deeper.paths import DATA, REPO
from tools import nbtools


@pytest.fixture
def no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def colab(monkeypatch):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")


def test_this_environment_is_all_good(no_accelerator, monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    report = doc.check()
    assert report.ok, report.text(verbose=True)
    summary = report.summary
    for words in ("Python 3.", f"torch {torch.__version__}", "diffusers ", "transformers ", "ipywidgets ",
                  "local", "device cpu, float32", "models verified", "all good"):
        assert words in summary, summary
    assert "\n" not in summary
    assert {c.name for c in report.checks} >= {"Python", "torch", "diffusers", "transformers", "ipywidgets",
                                               "data/tiny-sd", "data/students", "widget front end"}


def test_colab_without_gpu_says_how_to_get_one(no_accelerator, colab):
    report = doc.check()
    device = next(c for c in report.checks if c.name == "device")
    assert device.level == "note" and "Runtime > Change runtime type" in device.fix
    assert " · Colab · " in report.summary and "note(s) below" in report.summary
    assert device.line() in report.text()


def test_colab_gpu_is_named_in_the_summary(monkeypatch, colab):
    class Properties:
        total_memory = 15 * 2**30

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Tesla T4")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i=0: Properties())
    summary = doc.check().summary
    assert "device cuda, float16 (picked: Tesla T4), 15 GB" in summary and "Colab" in summary


def test_an_old_library_names_the_floor_and_the_fix(no_accelerator, monkeypatch):
    real = doc.installed_version
    monkeypatch.setattr(doc, "installed_version", lambda name: "0.30.0" if name == "diffusers" else real(name))
    report = doc.check()
    problem = next(c for c in report.problems if c.name == "diffusers")
    assert "0.30.0" in problem.line() and 'pip install "diffusers>=0.39"' in problem.fix
    assert "1 problem(s)" in report.summary


def test_a_missing_library_is_a_problem(no_accelerator, monkeypatch):
    real = doc.installed_version
    monkeypatch.setattr(doc, "installed_version", lambda name: None if name == "scipy" else real(name))
    problem = next(c for c in doc.check().problems if c.name == "scipy")
    assert problem.found == "not installed" and "pip install" in problem.fix


def test_on_colab_the_fix_is_a_magic_and_a_restart(colab):
    assert doc.install_hint("x>=1") == 'run `%pip install "x>=1"`, then Runtime > Restart session'


def test_a_damaged_model_folder_is_named(tmp_path, no_accelerator):
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("cache"))
    (data / "tiny-sd" / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    report = doc.check(data)
    problem = next(c for c in report.problems if c.name == "data/tiny-sd")
    assert "diffusion_pytorch_model.safetensors" in problem.fix and "git checkout" in problem.fix
    assert "models DAMAGED: data/tiny-sd" in report.summary
    assert all(c.level == "ok" for c in report.checks if c.name == "data/students")


def test_widget_front_end_that_cannot_draw_the_widgets(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    real = doc.installed_version
    monkeypatch.setattr(doc, "installed_version", lambda name: "3.0.17" if name == "jupyterlab_widgets" else real(name))
    check = doc.check_front_end("7.7.1")
    assert check.level == "problem" and 'pip install "jupyterlab_widgets>=1,<2"' in check.fix
    assert doc.check_front_end("8.1.5").level == "ok"


def test_command_line():
    env = {k: v for k, v in os.environ.items() if k != "COLAB_RELEASE_TAG"}
    done = subprocess.run([sys.executable, "-m", "deeper", "doctor"], capture_output=True, text=True, cwd=REPO,
                          env={**env, "CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode == 0, done.stdout + done.stderr
    first, *rest = done.stdout.splitlines()
    assert first.startswith("deeper doctor: Python ") and "all good" in first
    assert any(line.startswith("ok       data/tiny-sd: verified") for line in rest)


def test_the_colab_setup_cell_calls_it(no_accelerator, colab, capsys):
    """The setup cell's doctor line, inside its Colab branch and run as it stands, prints the summary line."""
    lines = [line for line in nbtools.setup_source().splitlines() if "doctor" in line]
    assert len(lines) == 1 and lines[0].startswith("    from deeper.doctor import doctor")
    exec(lines[0].strip(), {})
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("deeper doctor: Python ") and " · Colab · device cpu" in first

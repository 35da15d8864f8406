"""`python -m deeper generate`: a PNG from a prompt, and bad arguments told in one line."""

import subprocess
import sys

import pytest
from PIL import Image

from deeper.__main__ import main
from sd_fixtures import saved_tiny_folder


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return saved_tiny_folder(tmp_path_factory, "cli")


def test_generate_writes_a_png(model_folder, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["generate", "a red 7 on white", "--steps", "3", "--seed", "1", "-o", str(out),
                 "--model", str(model_folder), "--device", "cpu"]) == 0
    assert Image.open(out).size == (32, 32)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--steps", "0"], "steps must be a whole number from 1 to 1000"),
    (["--seed", "-3"], "seed must be"),
    (["--scheduler", "fast"], "scheduler must be one of"),
    (["--guidance", "nan"], "guidance_scale"),
])
def test_bad_arguments_are_one_line(model_folder, tmp_path, capsys, args, message):
    code = main(["generate", "a 7", "-o", str(tmp_path / "x.png"), "--model", str(model_folder), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_runs_as_a_module(model_folder, tmp_path):
    out = tmp_path / "m.png"
    done = subprocess.run([sys.executable, "-m", "deeper", "generate", "a 3", "--steps", "2", "-o", str(out),
                           "--model", str(model_folder), "--device", "cpu"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.exists()

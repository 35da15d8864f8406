"""`python -m deeper generate`: a PNG from a prompt, and bad arguments told in one line."""

import shutil
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
    (["--negative", "red ink", "--negative-scale", "-1"], "negative_scale must be None"),
])
def test_bad_arguments_are_one_line(model_folder, tmp_path, capsys, args, message):
    code = main(["generate", "a 7", "-o", str(tmp_path / "x.png"), "--model", str(model_folder), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_the_negative_prompt_takes_its_own_scale(model_folder, tmp_path):
    from deeper.sd import generate, load_parts
    out = tmp_path / "gentle.png"
    assert main(["generate", "a 3", "--negative", "red ink", "--negative-scale", "2", "--steps", "3", "--seed", "1",
                 "-o", str(out), "--model", str(model_folder), "--device", "cpu"]) == 0
    expected = generate(load_parts(str(model_folder), device="cpu", progress=False), "a 3", negative_prompt="red ink",
                        negative_scale=2, steps=3, seed=1)
    assert Image.open(out).convert("RGB").tobytes() == expected.tobytes()


def test_runs_as_a_module(model_folder, tmp_path):
    out = tmp_path / "m.png"
    done = subprocess.run([sys.executable, "-m", "deeper", "generate", "a 3", "--steps", "2", "-o", str(out),
                           "--model", str(model_folder), "--device", "cpu"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.exists()


# --- no traceback, and nothing loaded before the arguments are known to be good (issue 19) ------------
@pytest.fixture
def generate_cli(capsys):
    """`generate_cli(*args)`: `python -m deeper generate "a 7" --steps 2 *args` -> (exit status, stderr)."""
    def call(*args):
        code = main(["generate", "a 7", "--steps", "2", *map(str, args)])
        return code, capsys.readouterr().err
    return call


@pytest.mark.parametrize("device, message", [
    ("tpu", "DEVICE must be None"), ("cuda", "no CUDA GPU"), ("cuda:7", "CUDA"), ("meta", "DEVICE must be"),
    ("cpu:banana", "DEVICE must be"), ("mps", "MPS"),
])
def test_a_device_this_machine_lacks_is_one_line_before_loading(tmp_path, capsys, monkeypatch, device, message):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    # the model does not exist: had it been loaded first, the message would be about the model
    code = main(["generate", "a 7", "-o", str(tmp_path / "x.png"), "--model", str(tmp_path / "none"), "--device", device])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "model" not in err and "Traceback" not in err


@pytest.mark.parametrize("output, message", [
    ("{tmp}", "{tmp}: that is a directory"),
    ("{tmp}/no/such/folder/x.png", "the folder {tmp}/no/such/folder does not exist"),
    ("{tmp}/x.banana", ".banana names no image format"),
    ("{tmp}/x", "no extension names no image format"),
])
def test_a_bad_output_path_is_named_before_loading(tmp_path, capsys, output, message):
    output, message = output.format(tmp=tmp_path), message.format(tmp=tmp_path)
    code = main(["generate", "a 7", "-o", output, "--model", str(tmp_path / "none"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_an_unwritable_folder_is_named_before_loading(tmp_path, capsys):
    import os
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # root writes anywhere: make the folder unwritable another way
        locked.rmdir()
        locked.write_text("")  # a file where the folder should be: the parent check names it instead
        expected = "does not exist"
    else:
        expected = "is not writable"
    code = main(["generate", "a 7", "-o", str(locked / "x.png"), "--model", str(tmp_path / "none")])
    assert code == 2 and expected in capsys.readouterr().err


def test_the_image_is_written_whole_or_not_at_all(tmp_path):
    from deeper.__main__ import save_atomically

    out = tmp_path / "out.png"
    Image.new("RGB", (8, 8), "red").save(out)
    before = out.read_bytes()

    class Breaks:
        def save(self, f, format):
            f.write(b"\x89PNG half an image")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_atomically(Breaks(), out, "PNG")
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["out.png"]
    save_atomically(Image.new("RGB", (8, 8), "blue"), out, "PNG")
    assert Image.open(out).getpixel((0, 0)) == (0, 0, 255)


def test_writers_racing_on_one_path_never_show_a_reader_a_broken_png(tmp_path):
    import threading
    from deeper.__main__ import save_atomically

    out, broken, done = tmp_path / "race.png", [], threading.Event()
    images = [Image.effect_noise((64, 64), 40 + k).convert("RGB") for k in range(2)]
    save_atomically(images[0], out, "PNG")

    def write(image):
        for _ in range(40):
            save_atomically(image, out, "PNG")

    def read():
        while not done.is_set():
            try:
                Image.open(out).load()
            except Exception as e:  # noqa: BLE001 - any failure to read is what this test looks for
                broken.append(repr(e))

    writers = [threading.Thread(target=write, args=(image,)) for image in images]
    reader = threading.Thread(target=read)
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    reader.join()
    assert not broken
    assert not [p for p in tmp_path.iterdir() if p.name != "race.png"]  # no temporary file left behind


@pytest.fixture
def shipped_copy(tmp_path):
    """data/tiny-sd with the shipped manifest beside it, as in a clone: the CLI checks it as shipped."""
    from deeper.manifest import NAME
    from deeper.paths import DATA
    root = tmp_path / "data"
    shutil.copytree(DATA / "tiny-sd", root / "tiny-sd")
    shutil.copy(DATA / NAME, root / NAME)
    return root / "tiny-sd"


@pytest.mark.parametrize("name", ["unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                                  "vae/diffusion_pytorch_model.safetensors"])
def test_damaged_shipped_weights_are_an_error_not_a_black_image(shipped_copy, tmp_path, generate_cli, name):
    from test_manifest import damage_tensor_bytes
    damage_tensor_bytes(shipped_copy / name)
    out = tmp_path / "x.png"
    code, err = generate_cli("-o", out, "--model", shipped_copy, "--device", "cpu")
    assert code == 2 and f"{name} is damaged" in err and "git checkout" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("header", [[1, 2], {"conv_in.weight": {"dtype": "F16", "shape": [4]}}])
def test_a_shipped_header_of_the_wrong_shape_is_one_line(shipped_copy, tmp_path, generate_cli, header):
    from test_tinysd_folder import write_header
    write_header(shipped_copy / "unet/diffusion_pytorch_model.safetensors", header)
    code, err = generate_cli("-o", tmp_path / "x.png", "--model", shipped_copy, "--device", "cpu")
    assert code == 2 and "diffusion_pytorch_model.safetensors is damaged" in err and "Traceback" not in err


@pytest.mark.parametrize("fill", [b"\xff", b"\x7f\x80\x00\x00"[::-1]])  # float32 NaN, then +inf
def test_weights_of_nan_in_a_folder_of_ones_own_are_named_not_drawn(model_folder, tmp_path, generate_cli, fill):
    from test_manifest import damage_tensor_bytes
    mine = tmp_path / "mine"
    shutil.copytree(model_folder, mine)
    damage_tensor_bytes(mine / "unet/diffusion_pytorch_model.safetensors", fill=fill)
    out = tmp_path / "x.png"
    code, err = generate_cli("-o", out, "--model", mine, "--device", "cpu")
    assert code == 2 and "NaN or infinite" in err and "damaged" in err and "Traceback" not in err
    assert "cast" not in err and not out.exists()

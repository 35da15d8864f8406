"""data/MANIFEST.sha256: every shipped file has a checksum, the manifest is current, and a shipped
file whose bytes changed is named on load (the header and size alone cannot tell)."""

import shutil
import struct
import subprocess
import sys

import pytest

from deeper import manifest
from deeper.manifest import NAME, ShippedFileError, check_all, verify
from deeper.paths import DATA
from deeper.digits import load_evaluator
from deeper.tinysd import ModelFolderError, check_model_folder

UNET = "tiny-sd/unet/diffusion_pytorch_model.safetensors"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test hashes into its own cache, so one test's digests never answer for another's files."""
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path / "cache"))


def test_the_manifest_is_current():
    """Fails when data/ changed without `python -m deeper.manifest --write` (HACKING.md)."""
    problems = check_all(DATA)
    assert not problems, ("data/MANIFEST.sha256 is stale: " + "; ".join(problems)
                          + ". Run `python -m deeper.manifest --write` after shipping files in data/.")


def test_every_shipped_file_has_a_checksum():
    listed = manifest.read_manifest(DATA)
    assert UNET in listed and "evaluator/digit_classifier.safetensors" in listed
    assert set(listed) == {p.relative_to(DATA).as_posix() for p in manifest.shipped_files(DATA)}
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in listed.values())


@pytest.fixture
def data_copy(tmp_path):
    """A copy of data/tiny-sd and data/evaluator with the shipped manifest, as a clone would have them."""
    root = tmp_path / "data"
    for name in ("tiny-sd", "evaluator"):
        shutil.copytree(DATA / name, root / name)
    shutil.copy(DATA / NAME, root / NAME)
    return root


def damage_tensor_bytes(path, fill=b"\xff"):
    """Overwrite every tensor byte of a safetensors file and keep its header (and so its size)."""
    data = bytearray(path.read_bytes())
    start = 8 + struct.unpack("<Q", data[:8])[0]
    data[start:] = (fill * (len(data) - start))[:len(data) - start]
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", [UNET, "tiny-sd/text_encoder/model.safetensors",
                                  "tiny-sd/vae/diffusion_pytorch_model.safetensors"])
def test_damaged_weights_behind_an_intact_header_are_named(data_copy, name):
    damage_tensor_bytes(data_copy / name)
    with pytest.raises(ModelFolderError, match=f"{name} is damaged.*checksum.*git checkout -- data/{name}"):
        check_model_folder(data_copy / "tiny-sd")


def test_one_changed_byte_is_named(data_copy):
    path = data_copy / UNET
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFolderError, match="diffusion_pytorch_model.safetensors is damaged"):
        check_model_folder(data_copy / "tiny-sd")


def test_a_config_changed_to_other_valid_json_is_named(data_copy):
    config = data_copy / "tiny-sd/scheduler/scheduler_config.json"
    config.write_text(config.read_text().replace('"scaled_linear"', '"linear"'))
    with pytest.raises(ModelFolderError, match="scheduler_config.json is damaged"):
        check_model_folder(data_copy / "tiny-sd")


def test_the_damaged_evaluator_is_named(data_copy):
    damage_tensor_bytes(data_copy / "evaluator/digit_classifier.safetensors", fill=b"\x00")
    with pytest.raises(ModelFolderError, match="digit_classifier.safetensors is damaged"):
        load_evaluator(data_copy / "evaluator")


def test_a_folder_no_manifest_covers_passes(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "weights.bin").write_bytes(b"anything")
    verify(tmp_path / "mine")


def test_each_file_is_hashed_once_until_it_changes(data_copy, monkeypatch):
    hashed = []
    real = manifest.sha256
    monkeypatch.setattr(manifest, "sha256", lambda path: hashed.append(path.name) or real(path))
    verify(data_copy / "tiny-sd")
    first = len(hashed)
    assert first == len([n for n in manifest.read_manifest(data_copy) if n.startswith("tiny-sd/")])
    verify(data_copy / "tiny-sd")
    assert len(hashed) == first  # the second load only looked at sizes and times
    damage_tensor_bytes(data_copy / UNET)  # same size, new modification time
    with pytest.raises(ShippedFileError, match="damaged"):
        verify(data_copy / "tiny-sd")
    assert hashed[first:] == ["diffusion_pytorch_model.safetensors"]


def test_a_broken_cache_only_costs_time(data_copy, tmp_path):
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "cache" / "checksums.json").write_text("{not json")
    verify(data_copy / "tiny-sd")
    damage_tensor_bytes(data_copy / UNET)
    with pytest.raises(ShippedFileError):
        verify(data_copy / "tiny-sd")


def test_check_command_names_each_problem(data_copy):
    damage_tensor_bytes(data_copy / UNET)
    (data_copy / "tiny-sd" / "README.md").unlink()
    (data_copy / "tiny-sd" / "extra.txt").write_text("new")
    done = subprocess.run([sys.executable, "-m", "deeper.manifest", "--check", "--root", str(data_copy)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    for line in (f"changed: {UNET}", "missing: tiny-sd/README.md", "not in the manifest: tiny-sd/extra.txt",
                 "python -m deeper.manifest --write"):
        assert line in done.stderr
    assert "Traceback" not in done.stderr


def test_write_command_makes_the_check_pass(data_copy):
    (data_copy / "tiny-sd" / "extra.txt").write_text("new")
    run = lambda *a: subprocess.run([sys.executable, "-m", "deeper.manifest", *a, "--root", str(data_copy)],  # noqa: E731
                                    capture_output=True, text=True)
    assert run("--write").returncode == 0
    done = run("--check")
    assert done.returncode == 0 and "ok" in done.stdout
    assert (data_copy / NAME).read_text().count("\n") == len(manifest.shipped_files(data_copy))


def test_a_garbled_manifest_line_is_named(data_copy):
    line = len(manifest.read_manifest(data_copy)) + 1
    with open(data_copy / NAME, "a") as f:
        f.write("not a checksum line\n")
    with pytest.raises(ModelFolderError, match=f"line {line} is not"):
        check_model_folder(data_copy / "tiny-sd")


def test_the_damaged_clip_is_named(data_copy):
    from deeper.tinysd import load_clip
    shutil.copytree(DATA / "tiny-clip", data_copy / "tiny-clip")
    damage_tensor_bytes(data_copy / "tiny-clip/vision_and_projections.safetensors", fill=b"\x00")
    with pytest.raises(ModelFolderError, match="vision_and_projections.safetensors is damaged"):
        load_clip(data_copy / "tiny-clip", text_encoder=None)


class CountingJson:
    """Stands in for `json` in deeper.sd.folder: records the config texts it parses (str; a
    safetensors header comes as bytes)."""

    def __init__(self, monkeypatch):
        import json

        from deeper.sd import folder
        self.parsed = []
        monkeypatch.setattr(folder, "json", self)
        self._json = json

    def loads(self, text, **kwargs):
        if isinstance(text, str):
            self.parsed.append(len(text))
        return self._json.loads(text, **kwargs)


def test_intact_shipped_configs_are_not_parsed_again(data_copy, tmp_path, monkeypatch):
    """A file whose bytes match the manifest is the shipped one, whose JSON parses (checked below):
    loading skips parsing it (tokenizer.json alone is 3.6 MB). A folder no manifest covers is parsed."""
    from deeper.sd.folder import REQUIRED
    counting = CountingJson(monkeypatch)
    check_model_folder(data_copy / "tiny-sd")
    assert counting.parsed == []
    shutil.copytree(data_copy / "tiny-sd", tmp_path / "mine")
    check_model_folder(tmp_path / "mine")
    assert len(counting.parsed) == sum(kind == "json" for kind in REQUIRED.values())


def test_every_shipped_config_parses():
    import json

    from deeper.sd.folder import REQUIRED
    for name, kind in REQUIRED.items():
        if kind == "json":
            assert isinstance(json.loads((DATA / "tiny-sd" / name).read_text()), dict), name


def test_a_truncated_config_beside_the_manifest_is_named_as_truncated(data_copy):
    """Only files that match the manifest skip the parse: a cut-short one is still named as such."""
    tokenizer = data_copy / "tiny-sd/tokenizer/tokenizer.json"
    tokenizer.write_text(tokenizer.read_text()[:1000])
    with pytest.raises(ModelFolderError, match="tokenizer.json is damaged or truncated"):
        check_model_folder(data_copy / "tiny-sd")

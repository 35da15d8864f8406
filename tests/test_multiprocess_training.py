"""The recipe under `accelerate launch --num_processes 2` on the CPU (gloo): what breaks when
processes are added. tests/two_processes.py runs every stage, a unet stopped and resumed, the
export and both distillation plans under two processes, while this process runs the same stages as
one process drawing both processes' shards (`stage.accumulate=2`); the checks compare the two.

The rule (deeper/tinysd/train.py): `batch` is per process, the global batch is batch x processes
examples, shard p drawn by process p from the generator of (seed, stage, step, p), the gradients
averaged. Equal up to float rounding: the order of the sums differs (an all-reduce of two
processes' gradients against one backward through both shards), and Adam amplifies it a little
over the steps. TOLERANCE bounds that, and the weights must move far more than it. Buffers are not
compared: like DDP (which broadcasts them from process 0), the evaluator's BatchNorm running
statistics are the main process's, from its shards only."""

import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sd_fixtures import tiny_parts
from two_processes import TINY, record_rows

TESTS = Path(__file__).resolve().parent
STAGES = {"clip": 3, "vae": 3, "evaluator": 3, "unet": 4}  # the steps TINY gives each
TOLERANCE = 1e-5  # the largest |two processes - one process| allowed in any weight


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(out: Path) -> subprocess.Popen:
    """tests/two_processes.py under `accelerate launch`, two CPU processes, one thread each."""
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(free_port()), str(TESTS / "two_processes.py"), str(out)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two processes (launched) and, meanwhile, one process with both shards (here)."""
    from deeper.tinysd import train
    out = tmp_path_factory.mktemp("two")
    tiny_parts().pipeline().save_pretrained(out / "inputs" / "model")  # for the distillation plans
    torch.save({"latents": torch.randn(16, 4, 8, 8).half(), "captions": ["a red 7"] * 8 + ["a 3"] * 8},
               out / "inputs" / "data.pt")
    start = time.time()
    two = launch(out)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    seen = {}
    stop = record_rows(seen)
    try:
        one = out / "one"
        train.main(["--checkpoints", str(one), "--data", str(out / "one-data"), *TINY,
                    *[f"{s}.accumulate=2" for s in STAGES], "--stages", ",".join(STAGES)])
    finally:
        stop()
        torch.set_num_threads(threads)
    log, _ = two.communicate(timeout=600)
    seconds, cpu = time.time() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    assert two.returncode == 0, log[-3000:]
    reports = [json.loads((out / f"report-{r}.json").read_text()) for r in (0, 1)]
    print(f"two processes beside the one-process reference: {seconds:.0f} s, the launch's CPU time "
          f"{cpu.ru_utime + cpu.ru_stime:.0f} s; main process's parts: {reports[0]['seconds']}")
    return dict(out=out, runs=out / "runs", one=one, seen=seen, log=log, reports=reports)


def test_each_process_draws_its_own_shard_of_the_global_batch(runs):
    """Process p draws shard p: the two differ at every step, and one process drawing both shards
    draws exactly what the two drew together."""
    mine, theirs = (r["seen"] for r in runs["reports"])
    for stage, steps in STAGES.items():
        a, b = mine[f"whole/{stage}"], theirs[f"whole/{stage}"]
        assert len(a) == len(b) == steps
        assert all(x != y for x, y in zip(a, b)), stage
        assert runs["seen"][stage] == [rows for pair in zip(a, b) for rows in pair], stage
    assert mine["text/text"] != theirs["text/text"]
    for plan in ("progressive", "guided"):  # the students' first batch of each phase
        a, b = (r["distill_batches"][plan] for r in runs["reports"])
        assert all(x != y for x, y in zip(a, b)), plan


def initial_parameters(stage: str) -> dict:
    from accelerate.utils import set_seed
    from deeper.tinysd import train
    from deeper.digits.evaluator import DigitClassifier
    from deeper.tinysd.models import new_clip, new_unet, new_vae
    set_seed(train.STAGES.index(stage))  # what train.main seeds each stage with (--seed 0)
    model = {"clip": new_clip, "vae": new_vae, "evaluator": DigitClassifier, "unet": new_unet}[stage]()
    return {name: p.detach() for name, p in model.named_parameters()}


def largest_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


@pytest.mark.parametrize("stage", list(STAGES))
def test_gradients_are_averaged_over_the_processes(runs, stage):
    """Two processes at batch B end with the weights of one process at 2B (both shards), within
    TOLERANCE; the weights moved at least 100 times as far, so unaveraged gradients would fail."""
    start = initial_parameters(stage)
    files = ["model.safetensors"] + (["ema.safetensors"] if stage == "unet" else [])
    for name in files:
        two, one = (load_file(folder / stage / name) for folder in (runs["runs"] / "whole", runs["one"]))
        two, one = ({k: t[k] for k in start} for t in (two, one))
        difference, moved = largest_difference(two, one), largest_difference(two, start)
        print(f"{stage} {name}: largest difference {difference:.2e}, largest move {moved:.2e}")
        assert difference <= TOLERANCE, (stage, name, difference)
        assert moved > 100 * TOLERANCE, (stage, name, moved)


def test_the_distilled_students_stay_identical_on_both_processes(runs):
    mine, theirs = (r["students"] for r in runs["reports"])
    from deeper.papers.distill import PLANS
    for plan in ("progressive", "guided"):
        assert len(mine[plan]) == len(PLANS[plan]) and mine[plan] == theirs[plan], plan
        assert all((runs["runs"] / "papers" / plan / p.name / "student.json").is_file() for p in PLANS[plan])


def test_only_the_main_process_writes(runs):
    mine, theirs = (r["writes"] for r in runs["reports"])
    assert theirs == []
    wrote = {Path(p).relative_to(runs["runs"]).as_posix() for p in mine}
    for path in ("whole/unet/model.safetensors", "whole/unet/ema.safetensors", "whole/unet/optimizer.pt",
                 "whole/unet/state.json", "whole-data/tiny-sd/unet/diffusion_pytorch_model.safetensors",
                 "text/text/model.safetensors", "papers/guided/stage1/training/state.json",
                 "papers/progressive/round0/unet/diffusion_pytorch_model.safetensors"):
        assert path in wrote, path  # the watch sees each kind of write


def test_log_lines_and_the_progress_bar_show_once(runs):
    log = runs["log"]
    for line in ("clip: step 3/3, done", "vae: step 3/3, done", "evaluator: step 3/3, done",
                 "unet: step 2/4, paused", "text: step 2/2, done", "progressive round0:", "guided stage1:"):
        assert log.count(line) == 1, (line, log.count(line))
    assert log.count("unet: step 4/4, done") == 2  # unbroken, then resumed
    assert log.count("[0/2 ") == 1  # the resumed unet's progress bar, at its first of two steps


def test_a_run_stopped_and_resumed_ends_where_an_unbroken_one_does(runs):
    for name in ("model.safetensors", "ema.safetensors"):
        whole = load_file(runs["runs"] / "whole" / "unet" / name)
        parts = load_file(runs["runs"] / "parts" / "unet" / name)
        assert whole.keys() == parts.keys() and all(torch.equal(whole[k], parts[k]) for k in whole), name
    assert json.loads((runs["runs"] / "parts" / "unet" / "state.json").read_text())["processes"] == 2


def test_the_export_is_what_one_process_writes(runs):
    """One process exporting the two processes' checkpoints writes the very same files."""
    from deeper.tinysd import train
    again = runs["out"] / "again"
    train.main(["--checkpoints", str(runs["runs"] / "whole"), "--data", str(again), "--subset", "32", "--quiet",
                "--stages", "export"])
    two = runs["runs"] / "whole-data"
    files = sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert "tiny-sd/unet/diffusion_pytorch_model.safetensors" in {f.as_posix() for f in files}
    for f in files:
        assert (two / f).read_bytes() == (again / f).read_bytes(), f

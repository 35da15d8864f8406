"""The recipe under `accelerate launch --num_processes 2`, run by tests/test_multiprocess_training.py:
every train.py stage, a unet stopped and resumed, the export, and both distillation plans, on tiny
settings. Each process writes OUT/report-RANK.json: the rows it drew, every file it wrote under
OUT/runs, and a checksum of each student it trained.

    ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 tests/two_processes.py OUT
"""

import json
import os
import sys
from pathlib import Path

# steps, batches and learning rates small enough for a shared 2-core CPU; warm-up of one step, so
# that every step moves the weights (the gradient-averaging check compares them)
TINY = ["--subset", "32", "--quiet", "--log-every", "2", "--steps",
        "clip=3", "clip.batch=16", "clip.warmup=1", "clip.lr=3e-3",
        "vae=3", "vae.batch=4", "vae.warmup=1", "vae.lr=2e-3",
        "evaluator=3", "evaluator.batch=8", "evaluator.warmup=1",
        "unet=4", "unet.batch=4", "unet.warmup=1", "unet.lr=3e-3"]
TEXT = ["--subset", "16", "--quiet", "--log-every", "1000", "--stages", "text",
        "--steps", "text=2", "text.batch=4", "text.warmup=1"]


def record_rows(seen: dict, label=lambda: ""):
    """Append the rows of every batch a stage draws to seen[label() + stage], in order. Returns
    the function that stops recording."""
    from deeper.tinysd import train
    from deeper.digits.dataset import CaptionedDigits
    batch_rows, grouped = train.Session.batch_rows, CaptionedDigits.same_colours_and_digit

    def recorded_batch_rows(self, stage, generator, n_rows):
        rows = batch_rows(self, stage, generator, n_rows)
        seen.setdefault(label() + stage, []).append(rows.tolist())
        return rows

    def recorded_grouped(self, generator, groups, size):
        rows = grouped(self, generator, groups, size)
        seen.setdefault(label() + "clip", []).append(rows.tolist())
        return rows

    train.Session.batch_rows, CaptionedDigits.same_colours_and_digit = recorded_batch_rows, recorded_grouped

    def stop():
        train.Session.batch_rows, CaptionedDigits.same_colours_and_digit = batch_rows, grouped
    return stop


def watch_writes(folder: Path, writes: list) -> None:
    """Append to `writes` every file or folder this process creates, changes or removes under
    `folder`: Python's own file calls through an audit hook, and the two that write natively
    (safetensors' serialize_file, torch.save)."""
    import safetensors.torch
    import torch
    folder = str(folder)

    def note(path):
        if str(path).startswith(folder):
            writes.append(str(path))

    def hook(event, args):
        if event == "open" and (any(c in (args[1] or "") for c in "wax+")
                                or (args[1] is None and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))):
            note(args[0])
        elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.replace", "shutil.copyfile"):
            note(args[1] if event == "shutil.copyfile" else args[0])
    sys.addaudithook(hook)

    serialize_file, save = safetensors.torch.serialize_file, torch.save

    def noted_serialize_file(tensors, filename, *a, **k):
        note(filename)
        return serialize_file(tensors, filename, *a, **k)

    def noted_save(obj, f, *a, **k):
        note(f)
        return save(obj, f, *a, **k)
    safetensors.torch.serialize_file, torch.save = noted_serialize_file, noted_save


def main(out: Path):
    import shutil
    import time
    import torch
    from accelerate import PartialState
    torch.set_num_threads(1)
    state = PartialState(cpu=True)
    runs, report = out / "runs", {"seen": {}, "writes": [], "students": {}, "distill_batches": {}, "seconds": {}}
    clock = [time.time()]

    def lap(name):  # wall seconds of each part, for the test's report
        report["seconds"][name] = round(time.time() - clock[0], 1)
        clock[0] = time.time()
    label = ["whole/"]
    record_rows(report["seen"], lambda: label[0])
    watch_writes(runs, report["writes"])
    from deeper.papers import distill
    from deeper.tinysd import train
    lap("imports")

    # 1. every stage and the export, unbroken
    ckpt = lambda name: ["--checkpoints", str(runs / name), "--data", str(runs / f"{name}-data")]  # noqa: E731
    train.main([*ckpt("whole"), *TINY, "--stages", "clip,vae,evaluator,unet,export"])
    lap("stages and export")
    # 2. the unet again, stopped after 2 steps and resumed, from the same clip and vae; its second
    #    half shows the progress bar
    if state.is_main_process:
        for stage in ("clip", "vae", "evaluator"):
            shutil.copytree(runs / "whole" / stage, runs / "parts" / stage)
    state.wait_for_everyone()
    label[0] = "parts/"
    train.main([*ckpt("parts"), *TINY, "--stages", "unet", "--chunk", "2"])
    train.main([*ckpt("parts"), *[a for a in TINY if a != "--quiet"], "--stages", "unet"])
    lap("unet stopped and resumed")
    # 3. the text stage, from the shipped model folder
    label[0] = "text/"
    train.main([*ckpt("text"), *TEXT])
    lap("text stage")

    # 4. both distillation plans on a random tiny model: a step or two per phase
    batch, drawn = distill.batch, [0]

    def noted_batch(latents, embeddings, size, generator):  # the first batch of each phase
        x, c = batch(latents, embeddings, size, generator)
        if drawn[0] == 0:
            report["distill_batches"].setdefault(plan, []).append(x.sum().item())
        drawn[0] += 1
        return x, c
    distill.batch = noted_batch
    frozen = distill.frozen

    def noted_frozen(student):
        drawn[0] = 0  # the next phase starts
        sums = [p.detach().double().sum().item() for p in student.unet.parameters()]
        report["students"].setdefault(plan, []).append(sum(sums))
        return frozen(student)
    distill.frozen = noted_frozen
    for plan in ("progressive", "guided"):
        distill.run(plan, runs / "papers", out / "inputs" / "data.pt", out / "inputs" / "model", seconds=0.5,
                    batch_size=2, log=print)
        lap(f"distillation, {plan}")
    state.wait_for_everyone()
    (out / f"report-{state.process_index}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(Path(sys.argv[1]))

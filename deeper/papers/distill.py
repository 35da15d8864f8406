"""Training the shipped students: `python -m deeper.papers.distill {progressive,guided} ...`.

Every phase (round 0 / stage 1, then one progressive round per halving) trains on the one trainer
(deeper.training: Adam, learning rate linearly to 0, gradient clipping at 1, no EMA, the
progressive-distillation paper's recipe; bf16 autocast on a GPU) and keeps its state under `--out`,
so a run cut into calls shorter than ten minutes carries on where it stopped, and a finished phase
is never trained again. `--seconds` is shared between the phases by their weights: each fresh phase
is fitted to its share at the pace it measures. The data are latents of the tiny SD's training
images and their captions (`--data`, written by `deeper.papers.data`).

Under `accelerate launch --num_processes N` each process draws its own `--batch-size` batches
(the global batch is N times larger; gradients averaged by the trainer); the main process writes
the students and logs.
"""

import argparse
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..paths import TINY_SD
from ..processes import processes
from ..sd.parts import load_parts
from ..sd.settings import GUIDANCE_SCALE
from ..sd.text import encode_prompt
from .ddim import Schedule
from .denoisers import Student, Teacher, load_student, save_student, student_unet
from .guided import GUIDANCE_RANGE, stage1_loss, stage2_loss
from .progressive import match_loss, progressive_loss
from ..training import Plan, Trainer, past


@dataclass
class Phase:
    name: str                # the folder of its student: "round0"/"stage1", then its step count
    n_student_steps: int     # the steps the student is distilled for (0: any, it matches the teacher)
    weight: float = 1.0      # its share of the training time, relative to the others


PLANS = {
    # round 0 makes the one-evaluation v-student match the guided teacher; then 64 -> 32 -> ... -> 1
    "progressive": [Phase("round0", 0, 2.0)] + [Phase(str(n), n) for n in (32, 16, 8, 4)]
                   + [Phase(str(n), n, 1.5) for n in (2, 1)],
    # stage 1 learns the guided output for every w (the hardest phase: the longest); stage 2 halves
    # 32 -> 16 -> 8 -> 4 -> 2
    "guided": [Phase("stage1", 0, 3.0)] + [Phase(str(n), n) for n in (16, 8, 4)] + [Phase("2", 2, 1.5)],
}


def batch(latents, embeddings, size: int, generator: torch.Generator):
    """A random batch (x, text embeddings), drawn by `generator`."""
    index = torch.randint(0, len(latents), (size,), device=latents.device, generator=generator)
    return latents[index], embeddings[index]


def phase_loss(plan: str, phase: Phase, student, teacher, schedule, guidance_scale: float, guidance_range):
    """The loss of one batch (x, cond) for this phase of this plan."""
    if plan == "progressive":
        if phase.n_student_steps == 0:
            return lambda b: match_loss(student, teacher, *b, schedule, guidance_scale=guidance_scale)
        return lambda b: progressive_loss(student, teacher, *b, phase.n_student_steps, schedule)
    if phase.n_student_steps == 0:
        return lambda b: stage1_loss(student, teacher, *b, schedule, guidance_range)
    return lambda b: stage2_loss(student, teacher, *b, phase.n_student_steps, schedule, guidance_range)


def student_info(plan, phase, guidance_scale, guidance_range, teacher_steps) -> dict:
    info = {"method": plan, "phase": phase.name, "steps": phase.n_student_steps or None,
            "teacher_steps": teacher_steps, "prediction": "v"}
    if plan == "progressive":
        info["guidance_scale"] = guidance_scale
    else:
        info["guidance_range"] = list(guidance_range)
    return info


def frozen(student: Student) -> Student:
    student.unet.eval().requires_grad_(False)
    return student


def run(plan: str, out: Path, data: Path, model=TINY_SD, seconds: float = 240, deadline: float = float("inf"),
        batch_size: int = 1024, lr: float = 1e-3, guidance_scale: float = GUIDANCE_SCALE,
        guidance_range=GUIDANCE_RANGE, teacher_steps: int = 64, device: str | None = None, log=print,
        from_phase: str | None = None) -> bool:
    """Train `plan`'s phases in order under `out/plan/`; True when all are done, False when
    `deadline` stopped it first. With `from_phase`, start there: the phase before it must be done
    (only its student is read)."""
    from accelerate import Accelerator
    device = join_processes(device) or ("cuda" if torch.cuda.is_available() else "cpu")
    acc = Accelerator(cpu=device == "cpu", mixed_precision="bf16" if device.startswith("cuda") else "no")
    if processes()[0]:
        log = lambda *a: None  # noqa: E731  (the main process logs)
    torch.backends.cuda.matmul.allow_tf32 = True  # TF32: its 10-bit mantissa is ample for the targets
    folder = Path(out) / plan
    parts = load_parts(model, device=device, dtype=torch.float32)
    parts.unet.requires_grad_(False)
    schedule = Schedule.from_scheduler(parts.scheduler)
    saved = torch.load(data, weights_only=True)
    latents = saved["latents"].float().to(device)
    embeddings = torch.cat([encode_prompt(parts, c) for c in _chunks(saved["captions"], 1024)]).float()
    teacher = Teacher(parts.unet, schedule, encode_prompt(parts, [""]).float())
    phases = PLANS[plan]
    weights = sum(p.weight for p in phases)
    previous_unet = parts.unet
    if from_phase:
        k = [p.name for p in phases].index(from_phase)
        teacher = frozen(load_student(folder / phases[k - 1].name, device))
        previous_unet, phases = teacher.unet, phases[k:]
    if plan == "guided":
        teacher_steps = 2 * PLANS[plan][1].n_student_steps
    for phase in phases:
        phase_dir = folder / phase.name
        if (phase_dir / "student.json").exists():
            teacher = frozen(load_student(phase_dir, device))
            previous_unet = teacher.unet
            continue
        if past(deadline, acc):
            return False
        info = student_info(plan, phase, guidance_scale, guidance_range, teacher_steps)
        student = Student(student_unet(previous_unet, takes_guidance=plan == "guided"), schedule, info)
        loss = phase_loss(plan, phase, student, teacher, schedule, guidance_scale, guidance_range)
        # a fresh phase is fitted to its share of --seconds (a large plan, shortened at the pace it measures)
        trainer = Trainer(acc, Plan(steps=10**7, batch=batch_size, lr=lr, schedule="linear", weight_decay=0.0),
                          phase_dir / "training", key=PLANS[plan].index(phase), deadline=deadline,
                          fit_by=time.time() + seconds * phase.weight / weights, name=f"{plan} {phase.name}",
                          log_every=500)
        log(f"{plan} {phase.name}: batches of {batch_size}, {seconds * phase.weight / weights:.0f} s")

        def loss_of(unet, gen, loss=loss):
            with acc.autocast():  # the teacher's calls too, not only the student's forward
                return loss(batch(latents, embeddings, batch_size, gen))
        state = trainer.fit(student.unet, loss_of)
        if not state["done"]:
            return False
        log(f"  {state['steps']} steps, {state['seconds']:.0f} s")
        student.unet.half().float()  # the next teacher is the student as saved, in float16, on every process
        if acc.is_main_process:
            save_student(student, phase_dir)
            shutil.rmtree(phase_dir / "training")
        teacher, previous_unet = frozen(student), student.unet
    return True


def join_processes(device: str | None) -> str | None:
    """Under `accelerate launch` (WORLD_SIZE > 1): join the other processes (the trainer draws each
    one's own shards) and return `device` or this process's device (its own GPU; the CPU with
    ACCELERATE_USE_CPU=1). Outside it: `device` as given."""
    if int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return device
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU") or device == "cpu")
    return device or ("cpu" if state.device.type == "cpu" else str(state.device))  # torch.load knows no "cpu:0"


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("plan", choices=sorted(PLANS))
    parser.add_argument("--out", type=Path, default=Path("checkpoints/papers"))
    parser.add_argument("--data", type=Path, default=Path("checkpoints/papers/data.pt"))
    parser.add_argument("--model", default=str(TINY_SD))
    parser.add_argument("--seconds", type=float, default=240, help="training time of the whole plan")
    parser.add_argument("--stop-after", type=float, default=float("inf"), help="stop (resumably) after this many seconds")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--guidance-scale", type=float, default=GUIDANCE_SCALE, help="the progressive teacher's guidance")
    parser.add_argument("--device", default=None)
    parser.add_argument("--from-phase", default=None, help="start at this phase (the one before it must be done)")
    args = parser.parse_args(argv)
    done = run(args.plan, args.out, args.data, args.model, args.seconds, time.time() + args.stop_after,
               args.batch_size, args.lr, args.guidance_scale, device=args.device, from_phase=args.from_phase)
    print("done" if done else "stopped: run again to resume")

if __name__ == "__main__":
    main()

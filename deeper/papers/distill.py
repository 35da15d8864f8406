"""Training the shipped students: `python -m deeper.papers.distill {progressive,guided} ...`.

Resumable: every phase (round 0 / stage 1, then one progressive round per halving) keeps its
state under `--out`, so a run cut into calls shorter than ten minutes carries on where it
stopped, and a finished phase is never trained again. The data are latents of the tiny SD's
training images and their captions (`--data`, written by `deeper.papers.data`).

Under `accelerate launch --num_processes N` each process draws its own `--batch-size` batches
(the global batch is N times larger; gradients averaged, training.py); the main process times the
plan, fits it to the deadline, writes the students and logs, and the others take its step counts.
"""

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..paths import TINY_SD
from ..processes import anyone, from_main, processes
from ..sd.parts import load_parts
from ..sd.text import encode_prompt
from .ddim import Schedule
from .denoisers import Student, Teacher, load_student, save_student, student_unet
from .guided import GUIDANCE_RANGE, stage1_loss, stage2_loss
from .progressive import match_loss, progressive_loss
from .training import train


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


def batches(latents, embeddings, batch_size: int):
    """Random batches (x, text embeddings) forever."""
    while True:
        index = torch.randint(0, len(latents), (batch_size,), device=latents.device)
        yield latents[index], embeddings[index]


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
        batch_size: int = 1024, lr: float = 1e-3, guidance_scale: float = 7.5, guidance_range=GUIDANCE_RANGE,
        teacher_steps: int = 64, device: str | None = None, log=print, from_phase: str | None = None) -> bool:
    """Train `plan`'s phases in order under `out/plan/`; True when all are done. With `from_phase`,
    start there: the phase before it must be done (only its student is read)."""
    device = join_processes(device) or ("cuda" if torch.cuda.is_available() else "cpu")
    rank = processes()[0]
    if rank:
        log = lambda *a: None  # noqa: E731  (the main process logs)
    torch.backends.cuda.matmul.allow_tf32 = True  # TF32: its 10-bit mantissa is ample for the targets
    folder = Path(out) / plan
    if not rank:
        folder.mkdir(parents=True, exist_ok=True)
    parts = load_parts(model, device=device, dtype=torch.float32)
    parts.unet.requires_grad_(False)
    schedule = Schedule.from_scheduler(parts.scheduler)
    saved = torch.load(data, weights_only=True)
    latents = saved["latents"].float().to(device)
    embeddings = torch.cat([encode_prompt(parts, c) for c in _chunks(saved["captions"], 1024)]).float()
    teacher = Teacher(parts.unet, schedule, encode_prompt(parts, [""]).float())
    phases = PLANS[plan]
    previous_unet = parts.unet
    if from_phase:
        k = [p.name for p in phases].index(from_phase)
        teacher = frozen(load_student(folder / phases[k - 1].name, device))
        previous_unet, phases = teacher.unet, phases[k:]
    steps = from_main(None if rank else _phase_steps(folder, plan, phases, seconds, parts, schedule, latents,
                                                     embeddings, batch_size, guidance_scale, guidance_range))
    if plan == "guided":
        teacher_steps = 2 * PLANS[plan][1].n_student_steps
    per_step = None
    for k, phase in enumerate(phases):
        phase_dir = folder / phase.name
        if (phase_dir / "student.json").exists():
            teacher = frozen(load_student(phase_dir, device))
            previous_unet = teacher.unet
            continue
        if anyone(time.time() > deadline, device):
            return False
        if per_step and deadline < float("inf") and not (phase_dir / "state.pt").exists():
            steps[phase.name] = from_main(None if rank else _fitted_steps(folder, phases[k:], steps, per_step,
                                                                          deadline))
        log(f"{plan} {phase.name}: {steps[phase.name]} steps of {batch_size}")
        if not rank:
            phase_dir.mkdir(exist_ok=True)
        info = student_info(plan, phase, guidance_scale, guidance_range, teacher_steps)
        student = Student(student_unet(previous_unet, takes_guidance=plan == "guided"), schedule, info)
        loss = phase_loss(plan, phase, student, teacher, schedule, guidance_scale, guidance_range)
        start = time.time()
        if not train(student.unet, loss, batches(latents, embeddings, batch_size), steps[phase.name], lr,
                     phase_dir / "state.pt", deadline=deadline, log=log):
            return False
        per_step = (time.time() - start) / steps[phase.name]
        student.unet.half().float()  # the next teacher is the student as saved, in float16, on every process
        if not rank:
            save_student(student, phase_dir)
            (phase_dir / "state.pt").unlink()
        teacher, previous_unet = frozen(student), student.unet
    return True


def join_processes(device: str | None) -> str | None:
    """Under `accelerate launch` (WORLD_SIZE > 1): join the other processes, draw batches unlike
    theirs (the global seed offset by the process index), and return `device` or this process's
    device (its own GPU; the CPU with ACCELERATE_USE_CPU=1). Outside it: `device` as given."""
    if int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return device
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU") or device == "cpu")
    torch.manual_seed(torch.initial_seed() + state.process_index)
    return device or ("cpu" if state.device.type == "cpu" else str(state.device))  # torch.load knows no "cpu:0"


def _fitted_steps(folder, remaining, steps, per_step, deadline, margin: float = 20.0) -> int:
    """The first remaining phase's steps, cut (never raised) so that all the remaining phases still
    fit before `deadline` at the speed measured so far; plan.json keeps the new count."""
    left = deadline - time.time() - margin
    share = remaining[0].weight / sum(p.weight for p in remaining)
    n = max(1, min(steps[remaining[0].name], int(left * share / per_step)))
    plan = json.loads((folder / "plan.json").read_text())
    plan["steps"][remaining[0].name] = n
    (folder / "plan.json").write_text(json.dumps(plan, indent=1))
    return n


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def _phase_steps(folder, plan, phases, seconds, parts, schedule, latents, embeddings, batch_size,
                 guidance_scale, guidance_range) -> dict:
    """Steps per phase, so that the plan takes about `seconds`: fixed at the first call (by timing
    a few of the dearest steps) and kept in plan.json, so resumed calls keep the same schedule."""
    path = folder / "plan.json"
    if path.exists():
        return json.loads(path.read_text())["steps"]
    probe = Student(student_unet(parts.unet, takes_guidance=plan == "guided"), schedule)
    teacher = Teacher(parts.unet, schedule, encode_prompt(parts, [""]).float())
    dearest = next(p for p in PLANS[plan] if p.n_student_steps)  # a progressive round: two teacher calls
    loss = phase_loss(plan, dearest, probe, teacher, schedule, guidance_scale, guidance_range)
    data = batches(latents, embeddings, batch_size)
    optimizer = torch.optim.Adam(probe.unet.parameters(), lr=0.0)
    for i in range(25):
        if i == 5:
            _sync(latents)
            start = time.time()
        with torch.autocast(latents.device.type, dtype=torch.bfloat16, enabled=latents.device.type == "cuda"):
            value = loss(next(data))
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    _sync(latents)
    per_step = (time.time() - start) / 20
    total = sum(p.weight for p in phases)
    steps = {p.name: max(1, int(seconds * p.weight / total / per_step)) for p in phases}
    path.write_text(json.dumps({"plan": [asdict(p) for p in phases], "seconds_per_step": per_step,
                                "batch_size": batch_size, "steps": steps}, indent=1))
    return steps


def _sync(t):
    if t.device.type == "cuda":
        torch.cuda.synchronize()


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
    parser.add_argument("--guidance-scale", type=float, default=7.5, help="the progressive teacher's guidance")
    parser.add_argument("--device", default=None)
    parser.add_argument("--from-phase", default=None, help="start at this phase (the one before it must be done)")
    args = parser.parse_args(argv)
    done = run(args.plan, args.out, args.data, args.model, args.seconds, time.time() + args.stop_after,
               args.batch_size, args.lr, args.guidance_scale, device=args.device, from_phase=args.from_phase)
    print("done" if done else "stopped: run again to resume")

if __name__ == "__main__":
    main()

"""One training loop for everything this project trains: the tiny SD's stages (deeper.tinysd.train),
the distilled students (deeper.papers.distill) and the notebooks' live runs.

- A `Plan` says how long and how fast: steps, batch, the peak learning rate and its schedule
  ("cosine": a linear warm-up, then a cosine from lr down to lr/10; "linear": from lr down to 0, the
  progressive-distillation paper's), AdamW's weight decay (0 makes it Adam), shards per step and the
  EMA's decay (None: no EMA).
- Every step draws its batches and noise from a generator seeded by (seed, key, step, shard), and
  reseeds the global RNGs (dropout) the same way, so a run stopped at its deadline and resumed sees
  the batches an unbroken run would have seen.
- State, in one format, in `folder`: state.json (step, done, the plan's step count, seconds),
  model.safetensors, ema.safetensors and optimizer.pt. A stopped run resumes from them; without a
  folder nothing is kept (a notebook's live run).
- Two clocks: past `deadline` the run pauses (saved, `done` false, resumed by the next call; the
  clock is read every 25 steps); with `fit_by`, a plan not fitted yet is shortened so that it ends
  by then, at the pace measured so far (after 5 steps, after 100 and every 250 after that, timed
  from the second step: the first chooses kernels). A fitted plan stays fitted when resumed.
- Under `accelerate launch` every process trains the same model on its own shards: the gradients
  are averaged by hand after each backward (deeper.processes: a DDP wrapper would miss the losses
  that call a model's own methods), the processes stop together, only the main one writes.
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from .processes import average_gradients, same_weights

CHECK_EVERY = 25  # steps between looks at the clock: each look waits for the GPU (and the other processes)


@dataclass(frozen=True)
class Plan:
    steps: int
    batch: int
    lr: float
    warmup: int = 0
    schedule: str = "cosine"
    weight_decay: float = 0.01
    accumulate: int = 1  # shards per step on each process, their gradients summed
    ema: float | None = None

    def __post_init__(self):
        if self.schedule not in ("cosine", "linear"):
            raise ValueError(f"schedule must be 'cosine' or 'linear', not {self.schedule!r}")

    def learning_rate(self, step: int, steps: int | None = None, warm_from: int = 0) -> float:
        """The rate at `step` of a plan of `steps` (default: the plan's own); the warm-up counts from
        `warm_from` (a run resumed without its optimizer's moments warms up again)."""
        steps = steps or self.steps
        warm = min(1.0, (step - warm_from + 1) / self.warmup) if self.warmup else 1.0
        progress = min(1.0, step / steps)
        decay = 0.55 + 0.45 * np.cos(np.pi * progress) if self.schedule == "cosine" else 1.0 - progress
        return float(self.lr * warm * decay)


def step_generator(seed: int, key: int, step: int, shard: int, device) -> torch.Generator:
    """The generator of one shard of one step (and the global RNGs reseeded to match)."""
    mine, modules = (int(s) for s in np.random.SeedSequence([seed, key, step, shard]).generate_state(2))
    torch.manual_seed(modules)
    return torch.Generator(device).manual_seed(mine)


class Trainer:
    """Train a model on `loss_of(model, generator)` by `plan` (see the module docstring)."""

    def __init__(self, acc, plan: Plan, folder: Path | None = None, seed: int = 0, key: int = 0,
                 deadline: float = float("inf"), fit_by: float | None = None, chunk: int | None = None,
                 name: str = "", log_every: int = 250, progress_bar: bool = False):
        self.acc, self.plan, self.folder = acc, plan, None if folder is None else Path(folder)
        self.seed, self.key, self.deadline, self.fit_by, self.chunk = seed, key, deadline, fit_by, chunk
        self.name, self.log_every, self.progress_bar = name, log_every, progress_bar

    def state(self) -> dict:
        return read_state(self.folder)

    def steps(self) -> int:
        """The plan's step count, or the one a started run was fitted to (it stays fitted when resumed)."""
        state = self.state()
        return state["steps"] if state["step"] and "steps" in state else self.plan.steps

    def generator(self, step: int, shard: int = 0) -> torch.Generator:
        return step_generator(self.seed, self.key, step, shard, self.acc.device)

    def out_of_time(self) -> bool:
        return past(self.deadline, self.acc)

    def fitted_steps(self, step: int, planned: int, seconds_per_step: float) -> int:
        """The step count that ends by `fit_by` at `seconds_per_step`, at most `planned`; the main
        process's, on every process. Logged."""
        from accelerate.utils import broadcast
        fit = step + (self.fit_by - time.time()) / seconds_per_step
        fit = torch.tensor([min(planned, max(step, int(fit)))], device=self.acc.device)
        steps = int(broadcast(fit, from_process=0).item())
        self.acc.print(f"  {steps} steps fit before the deadline ({1000 * seconds_per_step:.0f} ms a step)", flush=True)
        return steps

    def fit(self, model, loss_of, record: dict | None = None) -> dict:
        """Train from the saved state to the plan's step count, or until a clock stops it; save
        (with `record`'s keys in state.json). Returns the state, with the trained `model`, its
        `ema` and the `losses` of this call's steps."""
        acc, plan, folder = self.acc, self.plan, self.folder
        state = self.state()
        start = state["step"]
        if start:  # resumed; from the EMA weights where the raw ones were left behind (they and
            # the EMA together can be too big to carry to the GPU machine: fine-tuning starts from the EMA)
            raw = folder / "model.safetensors"
            model.load_state_dict(load_file(raw if raw.is_file() else folder / "ema.safetensors"))
        ema = None
        if plan.ema is not None:
            ema = [p.detach().clone() for p in model.parameters()]
            if folder and (folder / "ema.safetensors").is_file():
                saved = load_file(folder / "ema.safetensors")
                ema = [saved[n].float() for n, _ in model.named_parameters()]  # it may travel as float16
        same_weights(model)  # as DDP would: a randomly initialised layer differs between processes otherwise
        opt = torch.optim.AdamW(model.parameters(), lr=plan.lr, weight_decay=plan.weight_decay,
                                fused=acc.device.type == "cuda")
        model, opt = acc.prepare_model(model, evaluation_mode=True), acc.prepare_optimizer(opt)  # no DDP wrapper
        ema = None if ema is None else [e.to(acc.device) for e in ema]
        warm_from = 0
        if start:
            if (folder / "optimizer.pt").is_file():
                # on the CPU first: torch.load knows no "cpu:0" (a CPU process's device under a launch)
                opt.load_state_dict(torch.load(folder / "optimizer.pt", map_location="cpu"))
            else:  # resumed without optimizer moments (the bulkiest file): warm up again
                warm_from = start
        planned = steps = self.steps()
        refit = self.fit_by is not None and not state.get("fitted")  # a fitted plan stays fitted when resumed
        losses = torch.zeros(max(steps - start, 0), device=acc.device)  # filled in place: no per-step objects
        shards = range(acc.process_index * plan.accumulate, (acc.process_index + 1) * plan.accumulate)
        t0 = time.time()
        mark = (start, t0)
        model.train()
        bar = range(start, steps)
        if self.progress_bar and acc.is_main_process:  # imported only here: quiet runs need no fastprogress
            from fastprogress.fastprogress import progress_bar
            bar = progress_bar(bar, leave=False)
        step = start
        for step in bar:
            done = step - start
            if step >= steps or done == self.chunk:
                break
            if done == 1:  # the pace is measured from the second step: the first chooses kernels
                mark = (step, time.time())
            if done and done % CHECK_EVERY == 0 and self.out_of_time():
                break
            if refit and (done == 5 or done % 250 == 100):  # at the pace since the last fit
                steps = self.fitted_steps(step, planned, (time.time() - mark[1]) / (step - mark[0]))
                mark, state["fitted"] = (step, time.time()), True
                if step >= steps:
                    break
            for group in opt.param_groups:
                group["lr"] = plan.learning_rate(step, steps, warm_from)
            loss = 0.0
            for shard in shards:  # gradients summed over this process's shards, then averaged over processes
                part = loss_of(model, self.generator(step, shard)) / plan.accumulate
                acc.backward(part)
                loss = loss + part.detach()
            average_gradients(model)
            acc.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if ema is not None:
                torch._foreach_lerp_(ema, [p.detach() for p in model.parameters()], 1 - plan.ema)
            losses[done] = loss.detach()  # read back only when logged: a read waits for the GPU
            if (step + 1) % self.log_every == 0:  # the global batch's loss, averaged over processes
                recent = acc.reduce(losses[max(0, done + 1 - self.log_every): done + 1].mean(), "mean").item()
                acc.print(f"{self.name} step {step + 1}/{steps} loss {recent:.4f} ({time.time() - t0:.0f}s)", flush=True)
                if hasattr(bar, "comment"):
                    bar.comment = f"loss {recent:.4f}"
        else:
            step = steps
        step = min(step, steps)
        state.update(step=step, done=step >= steps, steps=steps, batch=plan.batch, processes=acc.num_processes,
                     seconds=state.get("seconds", 0) + time.time() - t0, **(record or {}))
        raw = acc.unwrap_model(model)
        acc.wait_for_everyone()
        if folder and acc.is_main_process:
            folder.mkdir(parents=True, exist_ok=True)
            save_file({k: v.detach().float().contiguous().cpu() for k, v in raw.state_dict().items()},
                      folder / "model.safetensors")
            if ema is not None:
                names = [n for n, _ in raw.named_parameters()]
                save_file({n: e.float().contiguous().cpu() for n, e in zip(names, ema)}, folder / "ema.safetensors")
            torch.save(opt.state_dict(), folder / "optimizer.pt")
            write_state(folder, state)
        raw.eval()
        return {**state, "losses": acc.reduce(losses[: step - start], "mean").tolist(), "model": raw, "ema": ema}



def past(deadline: float, acc) -> bool:
    """Past the deadline on any process: every process takes the same decision (one that stopped
    alone would leave the others waiting for it in the next gradient average)."""
    late = torch.tensor(float(time.time() > deadline), device=acc.device)
    return bool(acc.reduce(late, "sum").item())


def read_state(folder: Path | None) -> dict:
    """A training folder's state.json, or a fresh state."""
    path = folder and Path(folder) / "state.json"
    return json.loads(path.read_text()) if path and path.is_file() else {"step": 0, "done": False, "metrics": {}}


def write_state(folder: Path, state: dict) -> None:
    keep = {k: v for k, v in state.items() if k not in ("losses", "model", "ema")}
    (Path(folder) / "state.json").write_text(json.dumps(keep, indent=2) + "\n")


def train(model, loss_of, plan: Plan, folder: Path | None = None, log_every: int = 250, **options) -> dict:
    """A `Trainer` on this process's device (bf16 autocast on a GPU): `fit`'s state and losses.
    The notebooks' live runs use it; `options` are the Trainer's."""
    from accelerate import Accelerator
    acc = Accelerator(mixed_precision="bf16" if next(model.parameters()).is_cuda else "no")
    return Trainer(acc, plan, folder, log_every=log_every, **options).fit(model, loss_of)

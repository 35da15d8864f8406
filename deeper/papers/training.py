"""A resumable training loop for the students: Adam, learning rate linearly to 0, gradient
clipping at 1, no EMA (the progressive-distillation paper's recipe), bf16 autocast on a GPU.

State is saved every `save_every` steps and when a deadline passes, so a run cut into calls of
under ten minutes picks up where it stopped.

Under `accelerate launch` (several processes, deeper.papers.distill joins them) every process
trains the same student on its own batches: the gradients are averaged after each backward, so
the students stay identical; the processes stop together; only the main one saves and logs.
"""

import time
from pathlib import Path

import torch

from ..processes import anyone, average_gradients, processes, same_weights


def save_state(path: Path, unet, optimizer, step: int) -> None:
    tmp = Path(path).with_suffix(".tmp")
    torch.save({"unet": unet.state_dict(), "optimizer": optimizer.state_dict(), "step": step}, tmp)
    tmp.replace(path)  # never leave a half-written state behind


def train(unet, loss_fn, batches, steps: int, lr: float, state_path: Path | None = None,
          deadline: float = float("inf"), save_every: int = 500, log=print, history: list | None = None) -> bool:
    """Run `loss_fn(batch)` for `steps` updates of `unet`, resuming from `state_path` if it exists
    (None: keep no state). `history`, if given, receives every step's loss.

    Returns True when all steps are done, False when `deadline` (a time.time()) stopped it first.
    """
    optimizer = torch.optim.Adam(unet.parameters(), lr=lr, fused=unet.device.type == "cuda")
    main = processes()[0] == 0
    step = 0
    if state_path is not None and Path(state_path).exists():
        state = torch.load(state_path, map_location=unet.device, weights_only=True)
        unet.load_state_dict(state["unet"])
        optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
        log(f"  resumed at step {step}/{steps}")
    same_weights(unet)
    first = step
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - (first + s) / steps))
    unet.train()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=unet.device.type == "cuda")
    running, start = None, time.time()
    while step < steps:
        with autocast:
            loss = loss_fn(next(batches))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        average_gradients(unet)
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        if history is not None:
            history.append(loss.item())
        if step % 50 == 0 or running is None:
            running = loss.item() if running is None else 0.8 * running + 0.2 * loss.item()
        late = anyone(time.time() > deadline, unet.device)
        if step % save_every == 0 or step == steps or late:
            if state_path is not None and main:
                save_state(state_path, unet, optimizer, step)
            if main:
                log(f"  step {step}/{steps}  loss {running:.4f}  {(time.time() - start) / (step - first):.3f} s/step")
            if late and step < steps:
                return False
    unet.eval()
    return True

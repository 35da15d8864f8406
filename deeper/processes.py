"""Several training processes under `accelerate launch`: the few collective steps the trainer
(deeper.training) takes by hand, on torch.distributed (gloo on CPUs,
NCCL on GPUs). Outside a launch each is a no-op, so one process runs exactly as before."""

import torch


def processes() -> tuple[int, int]:
    """(this process's index, the number of processes): (0, 1) outside `accelerate launch`."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def same_weights(module) -> None:
    """Every process takes the main process's weights and buffers, as DDP does when it wraps a model
    (a randomly initialised layer, the guided student's projection bias, differs otherwise)."""
    if processes()[1] == 1:
        return
    for tensor in module.state_dict().values():  # views of the module's own tensors: set in place
        torch.distributed.broadcast(tensor, src=0)


def average_gradients(module) -> None:
    """Replace each gradient by its mean over the processes, in one all-reduce: what DDP does, done
    here because the losses call a model's own methods (`vae.encode`, `clip.get_text_features`,
    `student.v`), which a DDP wrapper, seeing only `forward`, would leave unsynchronised."""
    world = processes()[1]
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if world == 1 or not grads:
        return
    flat = torch.cat([grad.flatten() for grad in grads])
    torch.distributed.all_reduce(flat)
    for grad, mean in zip(grads, (flat / world).split([grad.numel() for grad in grads])):
        grad.copy_(mean.view_as(grad))

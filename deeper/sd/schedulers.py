"""The schedulers a student can pick by name, each built from the model's own scheduler config
(same noise schedule, different way of stepping through it)."""

from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, LMSDiscreteScheduler

SCHEDULERS = {
    "LMS": LMSDiscreteScheduler,  # the lesson's: linear multistep on sigmas
    "DDIM": DDIMScheduler,
    "Euler": EulerDiscreteScheduler,
    "DPM-Solver": DPMSolverMultistepScheduler,  # DPM-Solver++ (2nd order, multistep)
}


def scheduler_name(name: str) -> str:
    """The canonical name for `name` (case and '-'/'_'/' ' ignored); ValueError listing the allowed ones."""
    def key(s):
        return str(s).lower().replace("-", "").replace("_", "").replace(" ", "")

    for canonical in SCHEDULERS:
        if key(name) == key(canonical):
            return canonical
    raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}; got {name!r}")


def make_scheduler(name: str, config):
    """A fresh scheduler of kind `name` on the noise schedule of `config` (a scheduler's `.config`)."""
    return SCHEDULERS[scheduler_name(name)].from_config(config)

"""The schedulers a student can pick by name, each built from the model's own scheduler config
(same noise schedule, different way of stepping through it)."""

from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, LMSDiscreteScheduler
from scipy import integrate


class LMSScheduler(LMSDiscreteScheduler):
    """diffusers' LMS with two changes that leave a run from the first step bit for bit the same.

    1. The step coefficients are computed on numpy float32 numbers instead of 0-d tensors. Each LMS
       step integrates a Lagrange polynomial through the last sigmas (scipy's `quad`, some 20 calls
       of the integrand per coefficient): on 0-d tensors about 3 ms a step, half of a compiled
       UNet's step. Same float32 arithmetic, so the same coefficients.
    2. The order grows with the derivatives actually kept. diffusers grows it with the step index,
       so a run that starts part way down the schedule (image-to-image) takes a 4th-order step with
       one derivative and overshoots (diffusers issue #5630): an orange smear instead of an edit.
    """

    def step(self, model_output, timestep, sample, order: int = 4, return_dict: bool = True):
        return super().step(model_output, timestep, sample, order=min(order, len(self.derivatives) + 1),
                            return_dict=return_dict)

    def get_lms_coefficient(self, order: int, t: int, current_order: int) -> float:
        sigmas = self.sigmas.numpy()  # LMS keeps its sigmas on the CPU, as float32

        def lms_derivative(tau):
            prod = 1.0
            for k in range(order):
                if current_order == k:
                    continue
                prod *= (tau - sigmas[t - k]) / (sigmas[t - current_order] - sigmas[t - k])
            return prod

        return integrate.quad(lms_derivative, sigmas[t], sigmas[t + 1], epsrel=1e-4)[0]


SCHEDULERS = {
    "LMS": LMSScheduler,  # the lesson's: linear multistep on sigmas
    "DDIM": DDIMScheduler,
    "Euler": EulerDiscreteScheduler,
    "DPM-Solver": DPMSolverMultistepScheduler,  # DPM-Solver++ (2nd order, multistep)
}

# A scheduler config's choice of how to space its sigmas (diffusers' default: evenly spaced
# timesteps). LMS, Euler and DPM-Solver honour them; DDIM has its own grid and none of them.
SIGMA_SPACINGS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")


def scheduler_name(name: str) -> str:
    """The canonical name for `name` (case and '-'/'_'/' ' ignored); ValueError listing the allowed ones."""
    def key(s):
        return str(s).lower().replace("-", "").replace("_", "").replace(" ", "")

    for canonical in SCHEDULERS:
        if key(name) == key(canonical):
            return canonical
    raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}; got {name!r}")


def make_scheduler(name: str, config):
    """A fresh scheduler of kind `name` on the noise schedule of `config` (a scheduler's `.config`).

    Latents are not images in [-1, 1], so DDIM must not clip its predicted x0 to that range (SD's
    own config says `clip_sample: false`; a config that is silent would get DDIM's default, True).
    """
    cls = SCHEDULERS[scheduler_name(name)]
    overrides = {"clip_sample": False} if "clip_sample" not in config and cls is DDIMScheduler else {}
    return cls.from_config(config, **overrides)

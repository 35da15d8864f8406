"""The schedulers a student can pick by name, each built from the model's own scheduler config
(same noise schedule, different way of stepping through it)."""

from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, LMSDiscreteScheduler
from scipy import integrate


class LMSScheduler(LMSDiscreteScheduler):
    """diffusers' LMS, its step coefficients computed on numpy float32 numbers instead of 0-d tensors.

    Each LMS step integrates a Lagrange polynomial through the last sigmas (scipy's `quad`, some 20
    calls of the integrand per coefficient). On 0-d tensors that costs about 3 ms a step: nothing
    beside an eager UNet, but half the step once the UNet is compiled. The arithmetic is the same
    float32 arithmetic, so the coefficients, and the images, are the same bit for bit.
    """

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

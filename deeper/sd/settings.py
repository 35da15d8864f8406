"""The settings of one generation, checked: each bad value becomes a ValueError that names the
parameter and says what is allowed, before any work starts. Also the settings as code to paste."""

import math
import secrets
from dataclasses import asdict, dataclass, fields
from numbers import Integral, Real

from ..paths import TINY_SD
from .schedulers import scheduler_name

MAX_STEPS = 1000  # the number of training timesteps: a sampler cannot take more steps than there are
MAX_GUIDANCE = 100.0
GUIDANCE_SCALE = 7.5  # the usual classifier-free guidance scale: every default in the course is this one
# torch takes 64-bit seeds, but its CPU generator (Mersenne Twister) keeps only the low 32 bits: 2**32
# draws seed 0's noise. So seeds are what is true, 0 to 2**32 - 1, each with its own noise.
SEED_LIMIT = 2**32
SEED_RANGE = ("seed must be a whole number from 0 to 2**32 - 1 (4294967295): torch's generator keeps "
              "only a seed's low 32 bits, so larger seeds would repeat smaller ones")
MAX_SIZE_FACTOR = 4  # images up to 4x the model's native side (memory grows with its square)


@dataclass(frozen=True)
class Settings:
    """One generation's settings. Made by `checked_settings`, which fills in the defaults below."""

    prompt: str | list[str] = ""
    negative_prompt: str | list[str] = ""
    guidance_scale: float = GUIDANCE_SCALE
    steps: int = 30
    seed: int | None = 0
    scheduler: str = "LMS"
    height: int | None = None  # None: the model's native size
    width: int | None = None
    negative_scale: float | None = None  # None: the negative prompt as diffusers applies it (`deeper.sd.loop.guide`)

    def as_kwargs(self) -> dict:
        """The settings as keyword arguments of `deeper.sd.generate` (without negative_scale when it is
        None, so that the code of a run made as the pipeline makes it is the pipeline's call)."""
        kwargs = asdict(self)
        if self.negative_scale is None:
            del kwargs["negative_scale"]
        return kwargs


def check_prompt(name: str, prompt) -> str | list[str]:
    """A string (empty is allowed: it is the unconditional prompt) or a non-empty list of strings."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    raise ValueError(f"{name} must be a string (empty is allowed) or a non-empty list of strings; got {prompt!r}")


def check_negative_prompt(negative_prompt, prompt) -> str | list[str]:
    """None means "" (no negative prompt); a list must match a list prompt's length."""
    if negative_prompt is None:
        negative_prompt = ""
    negative_prompt = check_prompt("negative_prompt", negative_prompt)
    if isinstance(negative_prompt, list) and (not isinstance(prompt, list) or len(prompt) != len(negative_prompt)):
        raise ValueError(f"negative_prompt as a list must have one entry per prompt ({len(prompt) if isinstance(prompt, list) else 'prompt is one string'}); "
                         f"got {len(negative_prompt)}")
    return negative_prompt


def check_guidance_scale(guidance_scale) -> float:
    if isinstance(guidance_scale, bool) or not isinstance(guidance_scale, Real) or not math.isfinite(guidance_scale) \
            or not 0 <= guidance_scale <= MAX_GUIDANCE:
        raise ValueError(f"guidance_scale must be a number from 0 to {MAX_GUIDANCE:g} (1 or less turns "
                         f"classifier-free guidance off; {GUIDANCE_SCALE:g} is usual); got {guidance_scale!r}")
    return float(guidance_scale)


def check_negative_scale(negative_scale) -> float | None:
    if negative_scale is None:
        return None
    if isinstance(negative_scale, bool) or not isinstance(negative_scale, Real) or not math.isfinite(negative_scale) \
            or not 0 <= negative_scale <= MAX_GUIDANCE:
        raise ValueError(f"negative_scale must be None (the negative prompt as diffusers applies it, pushed as hard "
                         f"as the prompt) or a number from 0 to {MAX_GUIDANCE:g} (2 is gentle); got {negative_scale!r}")
    return float(negative_scale)


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, Integral) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}; got {steps!r}")
    return int(steps)


def check_seed(seed) -> int:
    """None draws a fresh seed (and the run records it, so the image can be made again)."""
    if seed is None:
        return secrets.randbelow(SEED_LIMIT)
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{SEED_RANGE}; got {seed!r}")
    return int(seed)


def check_size(name: str, value, parts) -> int:
    """None means the model's native size; else a multiple of `parts.size_step` up to 4x native."""
    if value is None:
        return parts.native_size
    step, largest = parts.size_step, MAX_SIZE_FACTOR * parts.native_size
    if isinstance(value, bool) or not isinstance(value, Integral) or value % step or not step <= value <= largest:
        raise ValueError(f"{name} must be a multiple of {step} from {step} to {largest} for this model "
                         f"(native: {parts.native_size}); got {value!r}")
    return int(value)


def checked_settings(parts, **settings) -> Settings:
    """All of a run's settings, defaults filled in and each value checked against `parts`."""
    allowed = [f.name for f in fields(Settings)]
    unknown = set(settings) - set(allowed)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(sorted(unknown))}; allowed: {', '.join(allowed)}")
    s = Settings(**settings)
    prompt = check_prompt("prompt", s.prompt)
    return Settings(prompt, check_negative_prompt(s.negative_prompt, prompt), check_guidance_scale(s.guidance_scale),
                    check_steps(s.steps), check_seed(s.seed), scheduler_name(s.scheduler),
                    check_size("height", s.height, parts), check_size("width", s.width, parts),
                    check_negative_scale(s.negative_scale))


def settings_code(settings: dict, model_id: str = "") -> str:
    """Python a student can paste into a cell to make the same image again (`settings`: keyword arguments)."""
    load = "load_parts()" if model_id in ("", str(TINY_SD)) else f"load_parts({model_id!r})"
    args = ",\n    ".join(f"{k}={v!r}" for k, v in settings.items())
    return f"from deeper.sd import generate, load_parts\n\nparts = {load}\nimage = generate(\n    parts,\n    {args},\n)\nimage"

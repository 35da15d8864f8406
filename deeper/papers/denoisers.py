"""Teacher and students behind one interface: denoiser(z_t, t, cond, guidance_scale) -> x̂.

The teacher is the tiny SD's ε-prediction UNet under classifier-free guidance (two UNet
evaluations a step). A student is a copy of it that predicts v = α ε - σ x (one evaluation a
step): at SD's top timestep α ≈ 0.07, so an ε-student's x̂ = (z - σ ε̂)/α would multiply its errors
by about 15 exactly where a 1- or 2-step sampler spends its only step; x̂ = α z - σ v̂ never does.
A guided student also takes the guidance scale, through the UNet's `timestep_cond`.
"""

import json
from pathlib import Path

import torch
from diffusers import DDIMScheduler, UNet2DConditionModel
from safetensors.torch import load_file, save_file

from ..manifest import verify
from ..sd.loop import guidance_input, is_guided
from ..sd.schedulers import SIGMA_SPACINGS
from ..sd.settings import GUIDANCE_SCALE
from .ddim import Schedule, x_from_eps, x_from_v
from .packing import pack, unpack

STUDENT_INFO = "student.json"
PACKED = "packed.safetensors"


def _per_example(value, z: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=z.dtype, device=z.device).expand(len(z)).reshape(-1, 1, 1, 1)


class Teacher:
    """x̂ from the ε-UNet with classifier-free guidance: ε = ε_u + g (ε_c - ε_u); as in `deeper.sd`
    (`is_guided`), g ≤ 1 is the prompt's ε_c alone (a tensor of scales: one per example)."""

    def __init__(self, unet, schedule: Schedule, uncond_embeds: torch.Tensor):
        self.unet, self.schedule, self.uncond = unet, schedule, uncond_embeds

    def evaluations_per_step(self, guidance_scale: float = GUIDANCE_SCALE) -> int:
        return 2 if is_guided(self.unet, guidance_scale) else 1

    def eps(self, z, t, cond, guidance_scale=GUIDANCE_SCALE):
        if not torch.is_tensor(guidance_scale) and not is_guided(self.unet, guidance_scale):
            return self.unet(z, t, encoder_hidden_states=cond).sample
        uncond = self.uncond.to(cond.dtype).expand(len(z), -1, -1)
        eps_u, eps_c = self.unet(torch.cat([z, z]), torch.cat([t, t]),
                                 encoder_hidden_states=torch.cat([uncond, cond])).sample.chunk(2)
        g = _per_example(guidance_scale, z).clamp(min=1)
        return eps_u + g * (eps_c - eps_u)

    def __call__(self, z, t, cond, guidance_scale=GUIDANCE_SCALE):
        alpha, sigma = self.schedule(t, like=z)
        return x_from_eps(z, self.eps(z, t, cond, guidance_scale), alpha, sigma)


class Student:
    """x̂ = α z - σ v̂ from a v-prediction UNet; a guided student also gets the guidance scale."""

    def __init__(self, unet, schedule: Schedule, info: dict | None = None):
        self.unet, self.schedule, self.info = unet, schedule, dict(info or {})

    @property
    def takes_guidance(self) -> bool:
        return self.unet.config.time_cond_proj_dim is not None

    def evaluations_per_step(self, guidance_scale: float = GUIDANCE_SCALE) -> int:
        return 1

    def v(self, z, t, cond, guidance_scale=None):
        if self.takes_guidance and guidance_scale is None:
            raise ValueError("guidance_scale: this student takes one (it was distilled for a range of them)")
        timestep_cond = guidance_input(self.unet, guidance_scale, z)
        return self.unet(z, t, encoder_hidden_states=cond, timestep_cond=timestep_cond).sample

    def __call__(self, z, t, cond, guidance_scale=None):
        alpha, sigma = self.schedule(t, like=z)
        return x_from_v(z, self.v(z, t, cond, guidance_scale), alpha, sigma)


def student_unet(teacher_unet, takes_guidance: bool = False, guidance_dim: int = 256):
    """A trainable copy of the teacher's UNet. With `takes_guidance` and a teacher that takes none,
    a new zero-initialised projection adds the guidance embedding to the time embedding, so the
    student starts out as the teacher and ignores w."""
    config = {k: v for k, v in teacher_unet.config.items() if k != "_use_default_values"}
    new_projection = takes_guidance and config.get("time_cond_proj_dim") is None
    if new_projection:
        config["time_cond_proj_dim"] = guidance_dim
    unet = UNet2DConditionModel.from_config(config)
    missing, unexpected = unet.load_state_dict(teacher_unet.state_dict(), strict=False)
    assert not unexpected and all("cond_proj" in k for k in missing), (missing, unexpected)
    if new_projection:
        torch.nn.init.zeros_(unet.time_embedding.cond_proj.weight)
    return unet.to(teacher_unet.device).train()


def save_student(student: Student, folder: Path, dtype=torch.float16) -> None:
    """A hub-shaped folder: unet/ (safetensors, fp16 by default), scheduler/ (DDIM, trailing,
    v-prediction, so diffusers samples it as we do), and student.json (what it was distilled for)."""
    folder = Path(folder)
    student.unet.to(dtype).save_pretrained(folder / "unet", safe_serialization=True)
    student.unet.float()
    _save_rest(student, folder)


def save_packed_student(student: Student, folder: Path, base_unet, base_name: str, bits: int = 8) -> None:
    """The same folder with the UNet stored as a quantised difference from `base_unet` (the
    teacher, or the previous student as `load_student` will rebuild it): see `packing`."""
    folder = Path(folder)
    (folder / "unet").mkdir(parents=True, exist_ok=True)
    student.unet.save_config(folder / "unet")
    save_file(pack(student.unet.state_dict(), base_unet.state_dict(), bits), folder / "unet" / PACKED)
    _save_rest(student, folder, base=base_name, bits=bits)


def _save_rest(student, folder, **extra):
    ddim_scheduler(student.schedule.config).save_pretrained(folder / "scheduler")
    (folder / STUDENT_INFO).write_text(json.dumps({**student.info, **extra}, indent=1, sort_keys=True))


def load_student(folder: Path, device="cpu", base_unet=None) -> Student:
    """A student saved by `save_student`, or by `save_packed_student` given the `base_unet` it names."""
    folder = Path(folder)
    verify(folder)  # a shipped student's files against data/MANIFEST.sha256 (a ShippedFileError names a damaged one)
    info = json.loads((folder / STUDENT_INFO).read_text())
    if (folder / "unet" / PACKED).exists():
        if base_unet is None:
            raise ValueError(f"{folder} stores its UNet as a difference from {info.get('base')!r}: load it through Family")
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        shapes = {k: v.shape for k, v in unet.state_dict().items()}
        base = {k: v.cpu() for k, v in base_unet.state_dict().items()}  # unpacked on the CPU, then moved
        unet.load_state_dict(unpack(load_file(folder / "unet" / PACKED), base, shapes))
    else:
        unet = UNet2DConditionModel.from_pretrained(folder / "unet", dtype=torch.float32)
    scheduler = DDIMScheduler.from_pretrained(folder / "scheduler")
    return Student(unet.to(device).eval(), Schedule.from_scheduler(scheduler), info)


def ddim_scheduler(config) -> DDIMScheduler:
    """The teacher's schedule as a v-prediction DDIM scheduler on the trailing grid that
    `ddim.timestep_grid` uses, its last step landing on the clean image. The teacher's choice of
    sigma spacing (for its LMS) is left behind: DDIM has none, and the students walk that grid."""
    config = {k: v for k, v in dict(config).items() if k not in SIGMA_SPACINGS}
    return DDIMScheduler.from_config(config, prediction_type="v_prediction", timestep_spacing="trailing",
                                     set_alpha_to_one=True, clip_sample=False)

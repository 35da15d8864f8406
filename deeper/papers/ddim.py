"""DDIM in alpha/sigma on Stable Diffusion's discrete schedule: the maths every paper here shares.

SD was trained at integer timesteps t = 0..999 with ᾱ_t from its scaled_linear betas; we write
α_t = sqrt(ᾱ_t) and σ_t = sqrt(1 - ᾱ_t), so z_t = α_t x + σ_t ε. The terminal SNR is small but not
zero (ᾱ_999 ≈ 0.0047). Timestep -1 stands for the clean image (α = 1, σ = 0), so a sampler's last
step lands on its prediction x̂ exactly.
"""

import torch

from ..sd.loop import Step

CLEAN = -1  # the timestep of the clean image: α = 1, σ = 0


def timestep_grid(n_steps: int, num_train_timesteps: int = 1000) -> list[int]:
    """The n_steps + 1 timesteps of an n-step sampler, from the top (999) down to CLEAN.

    "Trailing" spacing, as diffusers' DDIMScheduler(timestep_spacing="trailing"): every grid for
    N/2 steps is every second point of the grid for N, so a student's step t -> t'' is exactly two
    of its teacher's steps t -> t' -> t''.
    """
    if n_steps < 1 or n_steps > num_train_timesteps:
        raise ValueError(f"n_steps must be between 1 and {num_train_timesteps}, not {n_steps}")
    return [round((n_steps - k) * num_train_timesteps / n_steps) - 1 for k in range(n_steps + 1)]


class Schedule:
    """α_t and σ_t looked up by integer timestep (tensors of them, or a plain int), CLEAN included."""

    def __init__(self, alphas_cumprod: torch.Tensor, config: dict | None = None):
        self.config = dict(config or {})  # the scheduler config it came from, for saving students
        self._on_device = {}        # index 0 holds CLEAN (ᾱ = 1), index t + 1 holds timestep t
        abar = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod.to(torch.float64)])
        self.alpha = abar.sqrt().float()
        self.sigma = (1 - abar).sqrt().float()

    @classmethod
    def from_scheduler(cls, scheduler) -> "Schedule":
        return cls(scheduler.alphas_cumprod, scheduler.config)

    @property
    def num_train_timesteps(self) -> int:
        return len(self.alpha) - 1

    def __call__(self, t, like: torch.Tensor | None = None):
        """(α_t, σ_t), shaped to broadcast against `like` (a batch of latents) when given. Looked up
        on the device of `t` (or of `like`): no copy back to the CPU, so no wait for the GPU."""
        index = torch.as_tensor(t, dtype=torch.long)
        device = like.device if like is not None else index.device
        alpha, sigma = self._tables(device)
        index = index.to(device) + 1
        alpha, sigma = alpha[index], sigma[index]
        if like is not None:
            shape = (-1,) + (1,) * (like.ndim - 1) if alpha.ndim else ()
            alpha, sigma = alpha.to(like.dtype).reshape(shape), sigma.to(like.dtype).reshape(shape)
        return alpha, sigma

    def _tables(self, device):
        if device not in self._on_device:
            self._on_device[device] = (self.alpha.to(device), self.sigma.to(device))
        return self._on_device[device]


# The three parameterisations of one prediction, given z_t = α x + σ ε.
def x_from_eps(z, eps, alpha, sigma):
    return (z - sigma * eps) / alpha


def x_from_v(z, v, alpha, sigma):
    """v = α ε - σ x, so x = α z - σ v (bounded at every SNR, unlike x_from_eps)."""
    return alpha * z - sigma * v


def v_from_x(z, x, alpha, sigma):
    return (alpha * z - x) / sigma


def ddim_step(z_t, x_hat, alpha_t, sigma_t, alpha_s, sigma_s):
    """One deterministic DDIM step t -> s: z_s = α_s x̂ + (σ_s / σ_t)(z_t - α_t x̂)."""
    return alpha_s * x_hat + (sigma_s / sigma_t) * (z_t - alpha_t * x_hat)


def distillation_target(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):
    """The x̃ whose single DDIM step t -> t'' lands where the teacher's two steps landed (z_t''):
    x̃ = (z_t'' - (σ_t''/σ_t) z_t) / (α_t'' - (σ_t''/σ_t) α_t). At t'' = CLEAN it is z_t'' itself."""
    ratio = sigma_t2 / sigma_t
    return (z_t2 - ratio * z_t) / (alpha_t2 - ratio * alpha_t)


@torch.no_grad()
def denoising_steps(denoiser, latents, cond, n_steps: int, schedule: Schedule, **denoiser_kwargs):
    """DDIM with any denoiser (z, t, cond, **kw) -> x̂, as a generator of the course's loop `Step`s
    (deeper.sd.loop), so the same progress bars and step sliders ride on it. The last step's
    latents are the sample itself."""
    grid = timestep_grid(n_steps, schedule.num_train_timesteps)
    z = latents
    for i, (t, s) in enumerate(zip(grid[:-1], grid[1:])):
        # 1. predict the clean latents at t
        timesteps = torch.full((len(z),), t, dtype=torch.long, device=z.device)
        x_hat = denoiser(z, timesteps, cond, **denoiser_kwargs)
        # 2. move deterministically to the next point of the grid
        alpha_t, sigma_t = schedule(t)
        alpha_s, sigma_s = schedule(s)
        z = ddim_step(z, x_hat, alpha_t, sigma_t, alpha_s, sigma_s)
        yield Step(i, t, float(sigma_t / alpha_t), z, x_hat, n_steps)


def sample(denoiser, latents, cond, n_steps: int, schedule: Schedule, **denoiser_kwargs) -> torch.Tensor:
    """The final latents of `denoising_steps`."""
    for step in denoising_steps(denoiser, latents, cond, n_steps, schedule, **denoiser_kwargs):
        pass
    return step.latents

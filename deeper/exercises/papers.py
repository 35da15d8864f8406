"""Notebooks 20, 21 and 22's exercises: progressive distillation's two-step DDIM target, the guided
teacher's prediction at weight w, and Imagic's η interpolation."""

from ..papers.ddim import Schedule, distillation_target
from ..papers.imagic import interpolate
from .core import Case, Exercise, compare_cases
from .sd_cases import randn, scheduler

ROUNDING = (1e-4, "float32 rounding; the target divides by α_t'' - (σ_t''/σ_t) α_t, which can be small")


# -- progressive distillation: the two-step target ------------------------------------------------
def target_solution(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):
    ratio = sigma_t2 / sigma_t
    return (z_t2 - ratio * z_t) / (alpha_t2 - ratio * alpha_t)


def target_cases():
    schedule = Schedule.from_scheduler(scheduler())
    cases = []
    for t, t2 in ((999, 749), (499, 249), (249, -1)):
        (a, s), (a2, s2) = schedule(t), schedule(t2)
        z_t, z_t2 = randn(2, 4, 8, 8, seed=t), randn(2, 4, 8, 8, seed=t + 1)
        cases.append(Case(f"target(z_t, z_t2, ...) from t = {t} to t'' = {t2}", z_t, z_t2, a, s, a2, s2))
    return cases


def _no_denominator(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):
    return z_t2 - (sigma_t2 / sigma_t) * z_t


def _ratio_upside_down(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):
    ratio = sigma_t / sigma_t2
    return (z_t2 - ratio * z_t) / (alpha_t2 - ratio * alpha_t)


target = Exercise(
    "target", "target(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2): the x̃ whose one DDIM step t -> t'' lands "
    "where the teacher's two steps landed", target_solution,
    ["A DDIM step is z_t'' = α_t'' x̃ + (σ_t''/σ_t)(z_t - α_t x̃). Here z_t'' is known (the teacher's two steps) "
     "and x̃ is the unknown: solve for it.",
     "With ratio = σ_t''/σ_t: `(z_t2 - ratio * z_t) / (alpha_t2 - ratio * alpha_t)`."],
    compare_cases(target_cases, tolerance=ROUNDING, expect=distillation_target, mistakes=[
        (_no_denominator, "You left out the division by α_t'' - (σ_t''/σ_t) α_t"),
        (_ratio_upside_down, "Your ratio is σ_t/σ_t'', upside down: DDIM keeps σ_t''/σ_t of the noise"),
    ]))


# -- guided distillation: the teacher at weight w -------------------------------------------------
def guided_solution(x_cond, x_uncond, w):
    return (1 + w) * x_cond - w * x_uncond


def _w_as_scale(x_cond, x_uncond, w):
    return x_uncond + w * (x_cond - x_uncond)


def _swapped(x_cond, x_uncond, w):
    return (1 + w) * x_uncond - w * x_cond


guided = Exercise(
    "guided", "guided(x_cond, x_uncond, w): the guided teacher's x̂ at Meng et al.'s weight w = g - 1", guided_solution,
    ["Meng et al. write guidance with w = g - 1: w = 0 is the conditional prediction alone.",
     "`(1 + w) * x_cond - w * x_uncond`, the same as x_uncond + (w + 1)(x_cond - x_uncond)."],
    compare_cases(lambda: [Case(f"guided(x_cond, x_uncond, {w})  (shape (2, 4, 8, 8))",
                                randn(2, 4, 8, 8, seed=9), randn(2, 4, 8, 8, seed=10), w) for w in (6.5, 0.0, 2.0)],
                  tolerance=(1e-5, "float32 rounding of two ways to write the same sum"), mistakes=[
                      (_w_as_scale, "You used w as the guidance scale g: in the paper w = g - 1, so the "
                                    "conditional prediction gets 1 + w"),
                      (_swapped, "x_cond and x_uncond are swapped: the conditional prediction gets the weight 1 + w")]))


# -- Imagic: η interpolation ----------------------------------------------------------------------
def eta_mix_solution(e_tgt, e_opt, eta):
    return eta * e_tgt + (1 - eta) * e_opt


def _eta_swapped(e_tgt, e_opt, eta):
    return eta * e_opt + (1 - eta) * e_tgt


def _clamped(e_tgt, e_opt, eta):
    eta = min(max(eta, 0.0), 1.0)
    return eta * e_tgt + (1 - eta) * e_opt


eta_mix = Exercise(
    "eta_mix", "eta_mix(e_tgt, e_opt, eta): Imagic's ē = η e_tgt + (1 - η) e_opt", eta_mix_solution,
    ["η = 0 must give e_opt (the embedding that reconstructs the input), η = 1 the target prompt's e_tgt.",
     "`eta * e_tgt + (1 - eta) * e_opt`, for any η: the notebook goes past 1, up to 2."],
    compare_cases(lambda: [Case(f"eta_mix(e_tgt, e_opt, {eta})  (shape (1, 77, 32))",
                                randn(1, 77, 32, seed=11), randn(1, 77, 32, seed=12), eta) for eta in (0.0, 0.7, 1.5)],
                  tolerance=(1e-6, "float32 rounding"), expect=interpolate, mistakes=[
                      (_eta_swapped, "At η = 0 yours gives e_tgt: η is the weight of the target prompt, so η = 0 "
                                     "gives e_opt, the input back"),
                      (_clamped, "Past η = 1 yours stops at e_tgt: η above 1 goes beyond the target prompt "
                                 "(the notebook sweeps η up to 2), don't clamp it")]))

EXERCISES = [target, guided, eta_mix]

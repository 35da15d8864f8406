"""`python -m deeper.tinysd.train` (`make train`): the tiny Stable Diffusion's whole recipe.

Stages, each resumable: `clip` (contrastive, text tower + small ViT), `vae` (AutoencoderKL),
`evaluator` (the digit classifier of prompt accuracy), `unet` (needs clip and vae), `text` (a copy
of a finished model folder's text tower taught to read the grammar's captions through its frozen
UNet, reading.py; `--teacher`, default data/tiny-sd), `export` (writes data/tiny-sd, data/tiny-clip,
data/evaluator from the checkpoints; the text tower from the text stage where it ran). clip, vae
and evaluator are independent and may run at the same time in separate processes. From scratch:
`--stages clip,vae,evaluator,unet,export`, then `--stages text,export`.

Runs on one CPU, one GPU or, under `accelerate launch`, several processes (GPUs, or CPUs through
gloo). Every step draws its batch and noise from a generator seeded by (seed, stage, step, shard),
so a stage stopped at its deadline (`--minutes`, for machines that allow ten minutes a command) and
resumed later sees the very batches an unbroken run would have seen.

Batches under several processes: a stage's `batch` is per process. Each step's global batch is
`batch x accumulate x processes` examples in shards of `batch`; process p draws shards
p*accumulate ... (p+1)*accumulate - 1, each from its own generator (so processes see different
examples), and the gradients are averaged. One process with `--steps stage.accumulate=N` draws the
same N shards, so its weights equal an N-process run's (tests/test_multiprocess_training.py). Only
the main process writes checkpoints, logs and the export; --fit's step count is the main
process's, broadcast.

    ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 -m deeper.tinysd.train ...  # CPUs

    python -m deeper.tinysd.train --stages clip,vae,evaluator,unet,export
    python -m deeper.tinysd.train --stages clip --subset 512 --steps clip=20 --quiet   # a smoke test
"""

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from safetensors.torch import load_file

from ..mnist import load_mnist
from ..paths import DATA, REPO
from ..training import Plan, Trainer, past, read_state, step_generator, write_state
from ..digits.captions import COLOURS
from .clip import clip_loss, save_clip_extras
from ..digits.dataset import STYLES, CaptionedDigits, pad, tokenize
from ..digits.evaluator import DigitClassifier, Evaluator, classifier_loss, colour_mnist_accuracy, save_evaluator
from .folder import new_tokenizer, save_model_folder
from .models import new_clip, new_scheduler, new_unet, new_vae
from .unet import (MIN_SNR_GAMMA, alphas_cumprod, at_latent_scale, conditioned_batch, encode_dataset, encode_latents,
                   unet_loss)
from .vae import psnr, scaling_factor, vae_loss

STAGES = ("clip", "vae", "evaluator", "unet", "text", "export")
# steps, batch, peak learning rate, warm-up steps; sized for one H100 (see data/tiny-sd/README.md).
UNET_EMA = 0.999
PLAN = {
    "clip": Plan(steps=3000, batch=512, lr=1e-3, warmup=200),
    "vae": Plan(steps=4000, batch=256, lr=1e-3, warmup=200),
    "evaluator": Plan(steps=2500, batch=256, lr=2e-3, warmup=100),
    "unet": Plan(steps=12000, batch=1024, lr=1e-3, warmup=500, ema=UNET_EMA),
    "text": Plan(steps=6000, batch=512, lr=5e-4, warmup=200),
}
READING_POOL = 200_000  # grammar captions the text stage samples from
VARIANTS = 8  # colourings and captions of each training digit
CLIP_GROUP = 8  # CLIP batches: groups of this many images sharing digit and colours (see same_colours_and_digit)


@dataclass(frozen=True)
class Options:
    """The command line, typed (main's argparse names): what the session and its stages read."""

    checkpoints: Path
    data: Path
    plans: dict[str, Plan]  # PLAN with --steps' overrides
    subset: int | None
    minutes: float | None
    chunk: int | None
    fit: bool
    mixed_precision: str
    latent_scale: float | None
    min_snr: float
    distil_from: Path | None
    teacher: Path
    text_from: Path | None
    seed: int
    log_every: int
    quiet: bool


class Session:
    """One training session: what every stage shares (the accelerator, the options, the clock)."""

    def __init__(self, options: Options):
        self.acc = Accelerator(mixed_precision=options.mixed_precision)
        self.options = options
        self.ckpt = options.checkpoints
        self.deadline = time.time() + 60 * options.minutes if options.minutes else float("inf")
        self._data = {}

    def print(self, *a):
        self.acc.print(*a, flush=True)

    def trainer(self, stage: str) -> Trainer:
        """The stage's trainer: its PLAN entry with --steps' overrides, fitted to --minutes with --fit."""
        o = self.options
        fit_by = self.deadline - 15 if o.fit and self.deadline < float("inf") else None
        return Trainer(self.acc, o.plans[stage], self.stage_dir(stage), o.seed, STAGES.index(stage), self.deadline,
                       fit_by, o.chunk, stage, o.log_every, progress_bar=not o.quiet)

    def fit(self, stage, model, loss_of, record=None) -> dict:
        return self.trainer(stage).fit(model, loss_of, record)

    def out_of_time(self) -> bool:
        return past(self.deadline, self.acc)

    def generator(self, stage: str, step: int, shard: int = 0) -> torch.Generator:
        return step_generator(self.options.seed, STAGES.index(stage), step, shard, self.acc.device)

    def mnist(self):
        if "mnist" not in self._data:
            n = self.options.subset
            self._data["mnist"] = [(x[:n], y[:n]) for x, y in load_mnist()]
        return self._data["mnist"]

    def tokenizer(self):
        if "tokenizer" not in self._data:
            with tempfile.TemporaryDirectory() as folder:  # private: stages may run side by side
                self._data["tokenizer"] = new_tokenizer(folder)
        return self._data["tokenizer"]

    def captioned(self, split: int = 0) -> CaptionedDigits:
        """The captioned training split (0) or test split (2), on this process's device."""
        if split not in self._data:
            x, y = self.mnist()[split]
            ds = CaptionedDigits(x, y, self.tokenizer(), VARIANTS if split == 0 else 1, self.options.seed + split)
            for name in ("alpha", "labels", "image", "ink", "bg", "spec", "said_style", "earned", "tokens"):
                setattr(ds, name, getattr(ds, name).to(self.acc.device))
            self._data[split] = ds
        return self._data[split]

    def stage_dir(self, stage: str) -> Path:
        return self.ckpt / stage

    def state(self, stage: str) -> dict:
        return read_state(self.stage_dir(stage))

    def save_state(self, stage, state):
        write_state(self.stage_dir(stage), state)

    def batch_size(self, stage) -> int:
        return self.options.plans[stage].batch

    def batch_rows(self, stage, generator, n_rows):
        return torch.randint(0, n_rows, (self.batch_size(stage),), generator=generator, device=self.acc.device)


# ---- the stages -------------------------------------------------------------------------------

def stage_clip(session: Session) -> dict:
    ds = session.captioned(0)

    def loss_of(model, gen):
        rows = ds.same_colours_and_digit(gen, session.batch_size("clip") // CLIP_GROUP, CLIP_GROUP)
        return clip_loss(model, ds.images(rows), ds.tokens[rows], ds.spec[rows], ds.attributes(rows),
                         ds.said_style[rows], ds.styles(rows))

    state = session.fit("clip", new_clip(), loss_of)
    if state["done"] and session.acc.is_main_process:
        state["metrics"] = clip_zero_shot(state["model"], session)
        session.save_state("clip", state)
    return state


@torch.no_grad()
def clip_zero_shot(model, session: Session, n: int = 1000) -> dict:
    """Zero-shot reading of test images: the best of all 900 'a {ink} {digit} on a {bg}
    background' captions names the digit, the ink and the background how often?"""
    test = session.captioned(2)
    rows = torch.arange(min(n, len(test)), device=session.acc.device)
    combos = [(d, i, b) for d in range(10) for i in range(len(COLOURS)) for b in range(len(COLOURS)) if i != b]
    captions = [f"a {COLOURS[i]} {d} on a {COLOURS[b]} background" for d, i, b in combos]
    model.eval()
    text = model.get_text_features(input_ids=tokenize(session.tokenizer(), captions).to(session.acc.device))
    image = model.get_image_features(pixel_values=test.images(rows) * 2 - 1)
    text, image = (F.normalize(getattr(t, "pooler_output", t), dim=-1) for t in (text, image))
    best = torch.tensor(combos, device=session.acc.device)[(image @ text.T).argmax(1)]
    truth = test.attributes(rows)
    scores = {k: (best[:, j] == truth[:, j]).float().mean().item() for j, k in enumerate(("digit", "ink", "background"))}
    scores.update(style_choice(model, session, test, rows, image))
    model.train()
    return scores


@torch.no_grad()
def style_choice(model, session: Session, test, rows, image_features) -> dict:
    """Does CLIP hear the style words? For test images that earn one word of a pair ("thin" or
    "thick", "slanted" or "upright") but not the other: how often the caption with the earned word,
    digit and colours right, beats the same caption with the other word. 0.5 is deaf."""
    out, truth, earned = {}, test.attributes(rows), test.styles(rows)
    for a, b in (("thin", "thick"), ("slanted", "upright")):
        ia, ib = STYLES.index(a), STYLES.index(b)
        picked = (earned[:, ia] ^ earned[:, ib]).nonzero().flatten()
        captions = [f"a {w} {COLOURS[i]} {d} on a {COLOURS[bg]} background"
                    for d, i, bg in truth[picked].tolist() for w in (a, b)]
        text = model.get_text_features(input_ids=tokenize(session.tokenizer(), captions).to(session.acc.device))
        text = F.normalize(getattr(text, "pooler_output", text), dim=-1).view(len(picked), 2, -1)
        says_a = (torch.einsum("nd,nkd->nk", image_features[picked], text).argmax(1) == 0)
        out[f"{a} or {b}"] = (says_a == earned[picked, ia]).float().mean().item()
    return out


def stage_vae(session: Session) -> dict:
    ds = session.captioned(0)

    def loss_of(model, gen):
        return vae_loss(model, ds.images(session.batch_rows("vae", gen, len(ds))), gen)

    state = session.fit("vae", new_vae(), loss_of)
    if state["done"] and session.acc.is_main_process:
        vae, test = state["model"].eval(), session.captioned(2)
        rows = torch.arange(len(test), device=session.acc.device)
        state["metrics"] = {
            "test_psnr_db": float(np.mean([psnr(vae, test.images(r)) for r in rows.split(1000)])),
            # samples from the generator of the step after the last: the global one's state depends on the shards
            "scaling_factor": scaling_factor(vae, ds.images(rows[:4096] % len(ds)),
                                             session.generator("vae", state["step"]))}
        session.save_state("vae", state)
    return state


def stage_evaluator(session: Session) -> dict:
    (x, y), _, (x_test, y_test) = session.mnist()
    alpha, labels = pad(x).to(session.acc.device), torch.as_tensor(y).to(session.acc.device)

    def loss_of(model, gen):
        rows = session.batch_rows("evaluator", gen, len(alpha))
        return classifier_loss(model, alpha[rows], labels[rows], gen)

    state = session.fit("evaluator", DigitClassifier(), loss_of)
    if state["done"] and session.acc.is_main_process:
        state["metrics"] = colour_mnist_accuracy(Evaluator(state["model"], session.acc.device), x_test, y_test)
        session.save_state("evaluator", state)
    return state


def frozen_parts(session: Session):
    """The finished text tower and VAE, rounded through float16 exactly as they ship."""
    for stage in ("clip", "vae"):
        if not session.state(stage)["done"]:
            raise SystemExit(f"the unet stage needs the {stage} stage finished first (--stages {stage})")
    clip = new_clip()
    clip.load_state_dict(load_file(session.stage_dir("clip") / "model.safetensors"))
    vae = new_vae()
    vae.load_state_dict(load_file(session.stage_dir("vae") / "model.safetensors"))
    vae.register_to_config(scaling_factor=session.state("vae")["metrics"]["scaling_factor"] * latent_scale(session))
    text = clip.text_model
    for part in (text, vae):
        part.half().float().eval().requires_grad_(False).to(session.acc.device)
    return text, vae


def latent_scale(session: Session) -> float:
    """How many times larger than unit variance the UNet's latents are: --latent-scale for a fresh
    UNet (default 1, SD's convention and the shipped model's), the saved one for a started UNet.
    data/tiny-sd/README.md ("Tried since") measures what a larger one gains and costs."""
    started, asked = session.state("unet"), session.options.latent_scale
    if not started["step"]:
        return asked or 1.0
    saved = started.get("latent_scale", 1.0)
    if asked not in (None, saved):
        raise SystemExit(f"the unet in {session.stage_dir('unet')} was trained with --latent-scale {saved}, "
                         f"not {asked}: leave the option out, or start a new --checkpoints folder")
    return saved


def stage_unet(session: Session) -> dict:
    k = latent_scale(session)
    ds = session.captioned(0)
    text, vae = frozen_parts(session)
    acp = alphas_cumprod(session.acc.device)
    means, stds, states = encode_dataset(text, vae, ds.images, ds.tokens)
    with torch.no_grad():
        empty = text(tokenize(session.tokenizer(), [""]).to(session.acc.device))[0][0]
    scale = vae.config.scaling_factor

    teacher = distillation_teacher(session, acp, k)

    def loss_of(model, gen):
        rows = session.batch_rows("unet", gen, len(ds))
        latents, cond = conditioned_batch(rows, means, stds, states, empty, scale, gen)
        return unet_loss(model, latents, cond, acp, gen, min_snr=session.options.min_snr, teacher=teacher)

    record = {"latent_scale": k, "min_snr": session.options.min_snr}
    if session.options.distil_from:
        record["distilled_from"] = str(session.options.distil_from)
    return session.fit("unet", new_unet(), loss_of, record=record)


def distillation_teacher(session: Session, acp, k: float):
    """--distil-from: a UNet trained on unit-variance latents, reparametrised exactly to latents k
    times larger (`at_latent_scale`), whose predictions become the targets. It moves a trained UNet
    to a new latent scale without relearning from noisy targets. None without the option."""
    if not session.options.distil_from:
        return None
    unit = new_unet()
    unit.load_state_dict(load_file(session.options.distil_from))
    predict = at_latent_scale(unit.eval().requires_grad_(False).to(session.acc.device), acp, k)

    def teacher(*args, **kwargs):
        with session.acc.autocast():  # the same precision as the UNet being trained
            return predict(*args, **kwargs)
    return teacher


def stage_text(session: Session) -> dict:
    """The text tower of `--teacher` taught to read the grammar's captions (reading.py)."""
    from ..sd.parts import load_parts
    from .reading import build_pool, reading_loss
    t0 = time.time()
    device = "cpu" if session.acc.device.type == "cpu" else str(session.acc.device)  # "cpu:0" under a launch
    parts = load_parts(session.options.teacher, device=device, dtype=torch.float32, progress=False)
    for part in (parts.text_encoder, parts.unet, parts.vae):
        part.eval().requires_grad_(False)
    parts.vae.disable_slicing()  # load_parts slices on a GPU (one image at a time): 400,000 would take minutes
    session.print(f"text: teacher loaded ({time.time() - t0:.0f}s)")
    ds = session.captioned(0)
    session.print(f"text: {len(ds)} training rows ({time.time() - t0:.0f}s)")
    pool = build_pool(ds, session.tokenizer(), min(READING_POOL, 4 * len(ds)), session.options.seed)
    rows, tokens, canonical = (x.to(session.acc.device) for x in (pool.rows, pool.tokens, pool.canonical))
    session.print(f"text: caption pool built ({time.time() - t0:.0f}s)")
    means, stds = encode_latents(parts.vae, ds.images, len(ds), session.acc.device)
    scale = parts.vae.config.scaling_factor
    empty = tokenize(session.tokenizer(), [""]).to(session.acc.device)
    acp = alphas_cumprod(session.acc.device)
    session.print(f"text: {len(pool.captions)} captions, {len(set(pool.captions))} distinct, e.g. {pool.captions[:3]}; "
              f"latents encoded ({time.time() - t0:.0f}s)")

    def loss_of(model, gen):
        pick = session.batch_rows("text", gen, len(rows))
        r = rows[pick]
        noise = torch.randn(means[r].shape, device=r.device, generator=gen)
        latents = (means[r] + stds[r] * noise) * scale
        return reading_loss(model, parts.text_encoder, parts.unet, latents, tokens[pick], canonical[pick],
                            empty, acp, gen, session.acc.autocast)

    student = type(parts.text_encoder)(parts.text_encoder.config)
    if not session.state("text")["step"]:  # a fresh stage starts from the teacher's tower or --text-from's
        start = session.options.text_from
        student.load_state_dict(load_file(start / "text_encoder" / "model.safetensors") if start
                                else parts.text_encoder.state_dict())
    teacher = session.options.teacher
    return session.fit("text", student, loss_of,
                       record={"teacher": str(teacher), "text_from": str(session.options.text_from or teacher)})


def stage_export(session: Session) -> dict:
    """data/tiny-sd (the pipeline, UNet from its EMA weights), data/tiny-clip, data/evaluator; or,
    after only the text stage, the teacher folder with the text tower that reads (export_text)."""
    if not session.acc.is_main_process:
        return {}
    if session.state("text")["step"] and not session.state("unet")["step"]:
        return export_text(session)
    if not session.state("evaluator")["done"] or not session.state("unet")["step"]:
        raise SystemExit("export needs the evaluator stage finished and the unet stage started")
    if not session.state("unet")["done"]:  # a run that ran out of time still ships what it learned
        unet = session.state("unet")
        session.print(f"warning: exporting the unet's EMA at step {unet['step']} of {unet['steps']}")
    out = session.options.data
    text, vae = frozen_parts(session)
    if session.state("text")["step"]:
        text.load_state_dict(load_file(session.stage_dir("text") / "model.safetensors"))
    unet = new_unet()
    unet.load_state_dict(load_file(session.stage_dir("unet") / "ema.safetensors"))
    with tempfile.TemporaryDirectory() as folder:  # a fresh tokenizer: one that has tokenized saves its truncation
        save_model_folder(out / "tiny-sd", new_tokenizer(folder), text.cpu(), vae.cpu(), unet, new_scheduler())
    clip = new_clip()
    clip.load_state_dict(load_file(session.stage_dir("clip") / "model.safetensors"))
    save_clip_extras(clip, out / "tiny-clip")
    classifier = DigitClassifier()
    classifier.load_state_dict(load_file(session.stage_dir("evaluator") / "model.safetensors"))
    save_evaluator(classifier, out / "evaluator", session.state("evaluator")["metrics"].get("digit"))
    summary = {s: session.state(s) for s in PLAN}
    (session.ckpt / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    session.print(json.dumps(summary, indent=2))
    return summary


def export_text(session: Session) -> dict:
    """`--teacher`'s folder, written to `--data`/tiny-sd with the text stage's text tower and the
    list of words it was taught (known_words.txt: the prompt panel names the others)."""
    from ..sd.parts import load_parts
    from ..digits.grammar import write_known_words
    state = session.state("text")
    if not state["done"]:
        session.print(f"warning: exporting the text tower at step {state['step']} of {state['steps']}")
    parts = load_parts(session.options.teacher, device="cpu", dtype=torch.float32, progress=False)
    parts.text_encoder.load_state_dict(load_file(session.stage_dir("text") / "model.safetensors"))
    out = session.options.data / "tiny-sd"
    save_model_folder(out, parts.tokenizer, parts.text_encoder, parts.vae, parts.unet, parts.scheduler)
    write_known_words(out)
    session.print(json.dumps(state, indent=2))
    return state


def overridden_plans(items) -> dict[str, Plan]:
    """PLAN with --steps' overrides: "clip=20" sets clip's steps, "unet.batch=64" another field."""
    out = {}
    for item in items or []:
        key, value = item.split("=")
        stage, _, field = key.partition(".")
        if stage not in PLAN:
            raise SystemExit(f"unknown stage {stage!r} in --steps (stages: {', '.join(PLAN)})")
        out.setdefault(stage, {})[field or "steps"] = float(value) if field == "lr" else int(value)
    return {stage: replace(plan, **out.get(stage, {})) for stage, plan in PLAN.items()}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stages", default=",".join(s for s in STAGES if s != "text"),
                   help="comma-separated, from " + ", ".join(STAGES) + " (default: all but text, which reads a "
                        "finished model folder: run it after export, then export again)")
    p.add_argument("--checkpoints", type=Path, default=REPO / "checkpoints" / "tinysd")
    p.add_argument("--data", type=Path, default=DATA, help="where export writes tiny-sd/, tiny-clip/, evaluator/")
    p.add_argument("--subset", type=int, default=None, help="use only the first N digits of each split")
    p.add_argument("--steps", nargs="*", help="override the plan: clip=20 unet.batch=64 unet.lr=3e-4")
    p.add_argument("--minutes", type=float, default=None, help="save and stop after this long (resume later)")
    p.add_argument("--chunk", type=int, default=None, help="save and stop after this many steps of a stage")
    p.add_argument("--fit", action="store_true",
                   help="with --minutes: shorten a fresh stage's plan to what fits before the deadline")
    p.add_argument("--mixed-precision", default="bf16" if torch.cuda.is_available() else "no",
                   choices=["no", "bf16", "fp16"], help="autocast for the trained model (bf16 on a GPU)")
    p.add_argument("--latent-scale", type=float, default=None,
                   help="train a fresh unet on latents this many times larger than unit variance (default 1)")
    p.add_argument("--min-snr", type=float, default=MIN_SNR_GAMMA,
                   help="the unet loss's Min-SNR gamma (0: SD v1's plain noise loss, which trains the last "
                        "sampling steps harder; see data/tiny-sd/README.md)")
    p.add_argument("--distil-from", type=Path, default=None,
                   help="a UNet's safetensors trained on unit-variance latents: train the unet to match its "
                        "predictions, reparametrised exactly to --latent-scale (see data/tiny-sd/README.md)")
    p.add_argument("--teacher", type=Path, default=DATA / "tiny-sd",
                   help="the text stage's model folder: its UNet, VAE and first text tower stay frozen")
    p.add_argument("--text-from", type=Path, default=None,
                   help="a model folder whose text tower a fresh text stage starts from (default: --teacher's); "
                        "to go on teaching a tower that already reads, with the first tower still the teacher")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--quiet", action="store_true", help="no progress bars, only the log lines")
    args = vars(p.parse_args(argv))
    stages = args.pop("stages").split(",")
    options = Options(plans=overridden_plans(args.pop("steps")), **args)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    session = Session(options)
    results = {}
    for stage in stages:
        if stage not in STAGES:
            raise SystemExit(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
        if stage != "export" and session.state(stage)["done"]:
            session.print(f"{stage}: done already ({session.stage_dir(stage)})")
            continue
        if session.out_of_time():
            session.print(f"{stage}: not started, out of time")
            break
        set_seed(options.seed + STAGES.index(stage))  # the model's initial weights, whatever ran before
        results[stage] = globals()[f"stage_{stage}"](session)
        session.acc.wait_for_everyone()  # the next stage may read what the main process just wrote
        if stage != "export":
            s = results[stage]
            session.print(f"{stage}: step {s['step']}/{s['steps']}, {'done' if s['done'] else 'paused'}, "
                      f"{s['seconds']:.0f}s, {json.dumps(s.get('metrics', {}))}")
    return results


if __name__ == "__main__":
    main()

"""Teaching the text tower to read a sentence, through the UNet that already draws.

The first text tower and UNet learned 36 fixed sentences: given "a red 7 on a blue background" they
draw it, given a sentence of another shape they often swap the colours. The UNet is not what is
wrong: it draws whatever its text states describe. So the UNet, the VAE and the first text tower
stay frozen, and a copy of the text tower learns from the grammar's captions (grammar.py), with
the first model as the teacher:

1. render a training digit in its colours and encode it with the VAE; noise it at a random t;
2. the teacher's noise prediction: the UNet on the first text tower's states for the sentence it
   was trained on that says everything the image has (`grammar.canonical_caption` of its digit,
   ink and background, with the caption's style word). The teacher is told what the caption leaves
   unsaid, so for "red ink" the best the student can do is the average of the teacher over the
   digits a red-ink image may hold: a prompt that leaves the digit unsaid draws any digit, and as a
   negative prompt pushes away from red ink, not from one digit (the first tower's "red ink" drew
   a 0 or a 3 in half of its images: data/tiny-sd/README.md);
3. the student's: the same UNet on the new text tower's states for a grammar caption of that spec;
4. loss: the squared difference, plus two anchors that keep what other parts rely on: the pooled
   state (CLIP's text-image similarity, notebook 11) equal to the teacher's for the same meaning,
   and the empty prompt's states unchanged (the unconditional half of guidance).

The target is a prediction, not drawn noise, so each step's gradient is clean, and the UNet's
cross-attention reads its keys as a set: a caption may carry "the ink is red" in any tokens.
The students of notebooks 20-22 share the text tower, so they learn to read with it.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..digits.captions import COLOURS, PromptSpec
from ..digits.dataset import STYLES, tokenize
from ..digits.grammar import canonical_caption, caption, lexicon, nonce_words

SAY_ALL = 0.6  # share of captions that state digit, ink and background; the others drop each at random
DROP = 0.35  # chance to leave one attribute unsaid, in the others
SAY_STYLE = 0.5  # chance to say a style word the image earns
POOLED_WEIGHT, EMPTY_WEIGHT = 0.1, 1.0


@dataclass
class ReadingPool:
    """Training examples fixed up front: dataset rows (image and colours), the caption's tokens and
    the canonical sentence's tokens. Built once (the tokenizer is the slow part), sampled per step."""
    rows: torch.Tensor
    tokens: torch.Tensor
    canonical: torch.Tensor
    captions: list
    teacher_captions: list  # the sentences `canonical` tokenizes


def build_pool(ds, tokenizer, size: int, seed: int) -> ReadingPool:
    """`size` examples over the rows of a `CaptionedDigits`, each with a grammar caption saying some
    or all of its digit, ink, background and an earned style word."""
    rng = np.random.default_rng(seed)
    known = lexicon()
    pool = nonce_words(tokenizer, known)

    def nonce(r):
        return pool[r.integers(len(pool))]

    rows = rng.integers(0, len(ds), size)
    images, labels, inks, bgs, earned_all = (x.cpu().numpy() for x in (ds.image, ds.labels, ds.ink, ds.bg, ds.earned))
    captions, canon = [], []
    for r in rows:
        image = images[r]
        digit, ink, bg = int(labels[image]), COLOURS[inks[r]], COLOURS[bgs[r]]
        keep = [True] * 3 if rng.random() < SAY_ALL else list(rng.random(3) > DROP)
        earned = [STYLES[k] for k in np.flatnonzero(earned_all[image])]
        style = str(rng.choice(earned)) if earned and keep[0] and rng.random() < SAY_STYLE else None
        spec = PromptSpec(digit if keep[0] else None, ink if keep[1] else None, bg if keep[2] else None, style)
        captions.append(caption(spec, rng, nonce))
        told = PromptSpec(digit, ink, bg, style)  # the teacher is told everything (step 2)
        canon.append(canonical_caption(told) if captions[-1] else "")  # "" stays the unconditional
    return ReadingPool(torch.as_tensor(rows), tokenize(tokenizer, captions), tokenize(tokenizer, canon), captions, canon)


def reading_loss(text_encoder, teacher_text, unet, latents, tokens, canonical, empty_tokens, acp,
                 generator, autocast) -> torch.Tensor:
    """Steps 1-4 of the module docstring, for one batch: `latents` (scaled VAE samples), `tokens`
    (grammar captions), `canonical` (the teacher's sentences), `empty_tokens` (1, 77)."""
    noise = torch.randn(latents.shape, device=latents.device, generator=generator)
    t = torch.randint(0, len(acp), (len(latents),), device=latents.device, generator=generator)
    a = acp[t][:, None, None, None]
    noisy = a.sqrt() * latents + (1 - a).sqrt() * noise
    with torch.no_grad():
        teacher = teacher_text(canonical)
        empty = teacher_text(empty_tokens)[0]
        with autocast():
            target = unet(noisy, t, encoder_hidden_states=teacher[0]).sample.float()
    student = text_encoder(torch.cat([tokens, empty_tokens]))
    states, pooled = student[0][:-1], student[1][:-1]
    with autocast():
        pred = unet(noisy, t, encoder_hidden_states=states).sample.float()
    return (F.mse_loss(pred, target)
            + POOLED_WEIGHT * F.mse_loss(pooled.float(), teacher[1].float())
            + EMPTY_WEIGHT * F.mse_loss(student[0][-1:].float(), empty.float()))

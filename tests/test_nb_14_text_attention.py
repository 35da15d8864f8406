"""What notebook 14 computed: the text encoder by hand equal to text_encoder(ids), a swapped word that
changes the ink, a learned token measured, cross-attention maps with the processors put back, the
explorer saved with a run, one training step of the UNet and of CLIP, sigmas per timestep, half precision."""

import re

import pytest

from notebooks import executed, grid_of, text_output, widget_states

pytestmark = pytest.mark.notebook
NB = "14_sd_text_and_attention.ipynb"


def test_the_layers_by_hand_equal_the_text_encoder():
    nb = executed(NB)
    assert text_output(nb, "by-hand").strip() == "token (1, 77, 64) + position (1, 77, 64) = (1, 77, 64)"
    out = text_output(nb, "layers")
    assert "max |by hand - text_encoder(ids)| = 0.0\n" in out
    assert "the same as deeper.sd.text_inside.encode_embeddings: True" in out


def test_blue_in_the_place_of_red_changes_the_ink():
    lines = text_output(executed(NB), "swap").splitlines()
    as_written = re.search(r"red in (\d+) of 8, as blue in (\d+)", lines[0]).groups()
    swapped = re.search(r"red in (\d+) of 8, as blue in (\d+)", lines[1]).groups()
    assert int(as_written[0]) >= 6 and int(swapped[1]) >= 6, lines  # the read-out follows the embedding
    assert grid_of(executed(NB), "swap")["shape"] == [2, 8]


def test_the_learned_token_is_measured():
    nb = executed(NB)
    assert "'<teal>' is token 49408; the table now has 49409 rows" in text_output(nb, "ti-before")
    assert "['a</w>', '<teal>', '3</w>']" in text_output(nb, "ti-before")
    before = int(re.search(r"in (\d+) of 20", text_output(nb, "ti-before")).group(1))
    learn = text_output(nb, "ti-learn")
    assert "step 200: loss" in learn and "200 steps in" in learn
    after = int(re.search(r"in (\d+) of 20", text_output(nb, "ti-measure")).group(1))
    assert after > before and after >= 14, (before, after)  # what it learned shows in the pictures, measured
    assert grid_of(nb, "ti-measure")["rows"] == ["before learning (as 'blue')", "after"]


def test_cross_attention_is_recorded_and_the_processors_come_back():
    nb = executed(NB)
    out = text_output(nb, "attention-run")
    assert "7 cross-attention layers recorded over 30 steps" in out and "maps (30, 77, 8, 8)" in out
    assert "the UNet's own processors are back: True" in out
    grid = grid_of(nb, "attention-grid")
    assert grid["rows"] == ["“red”", "“7”", "“white”", "“background”"] and grid["shape"] == [4, 4]
    diff = float(re.search(r"latents: ([0-9.e+-]+)", text_output(nb, "attention-same")).group(1))
    assert diff < 1e-3


def test_bad_words_get_clear_messages():
    out = text_output(executed(NB), "attention-bad-input")
    assert "ValueError: word 'cat' is not in the prompt" in out
    assert "'cyan' splits into 2 tokens ('cy', 'an</w>'): its map is the average of theirs" in out
    assert "ValueError: prompt is 80 tokens, but CLIP reads at most 75" in out


def test_the_explorer_was_saved_with_a_run():
    nb = executed(NB)
    html = " ".join(m["state"].get("value", "") for m in widget_states(nb, "HTMLModel"))
    assert "step 30 of 30 · word “red”" in html
    sliders = [m["state"] for m in widget_states(nb, "IntSliderModel") if m["state"].get("description") == "step"]
    assert sliders and sliders[0]["max"] == 29


def test_one_training_step_each_lowers_the_loss_on_its_batch():
    nb = executed(NB)
    unet = re.search(r"batch: ([0-9.]+) before the step, ([0-9.]+) after", text_output(nb, "unet-step")).groups()
    clip = re.search(r"loss: ([0-9.e+-]+) before the step, ([0-9.e+-]+) after", text_output(nb, "clip-step")).groups()
    assert float(unet[1]) < float(unet[0]) and float(clip[1]) < float(clip[0])


def test_timesteps_are_noise_levels_and_half_precision_is_measured():
    nb = executed(NB)
    sigmas = text_output(nb, "sigmas")
    assert "t =   0: ᾱ_t = 0.99915, σ_t =   0.029" in sigmas and "t = 999:" in sigmas and "σ_t =  14.6" in sigmas
    half = text_output(nb, "half-precision")
    pattern = r"{} .*: (\d+)% of the weights change when rounded; .* by ([0-9.e+-]+) of its size \(weights rounded\), ([0-9.e+-]+)"
    fp16 = re.search(pattern.format("torch.float16"), half).groups()
    bf16 = re.search(pattern.format("torch.bfloat16"), half).groups()
    assert int(fp16[0]) < int(bf16[0])  # the shipped weights are float16: bfloat16 has fewer digits
    assert 0 < float(fp16[2]) < 0.05 and 0 < float(bf16[1]) < float(bf16[2]) < 0.05

"""The shipped evaluator: at least 99% on MNIST's test digits rendered in colour, the colour
read-out exact on them, and prompt accuracy counting what the prompts ask."""

import pytest
import torch

from deeper.mnist import load_mnist
from deeper.paths import DATA
from deeper.digits import COLOURS, PromptSpec, load_evaluator, prompt_accuracy
from deeper.sd.folder import ModelFolderError
from deeper.digits.dataset import PALETTE_RGB, pad, render
from deeper.digits.evaluator import colour_mnist_accuracy, read_colours


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """A small CNN runs faster on one thread than on two on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def evaluator():
    return load_evaluator()


@pytest.fixture(scope="module")
def test_split():
    _, _, (x, y) = load_mnist()
    return x, y


def test_shipped_evaluator_reads_coloured_mnist_test_digits(evaluator, test_split):
    x, y = test_split
    scores = colour_mnist_accuracy(evaluator, x[::4], y[::4], seed=1)  # 2,500 in random palette pairs
    assert scores["digit"] >= 0.99
    assert scores["ink"] == 1.0 and scores["background"] == 1.0


def test_colour_read_out_survives_noise_and_blur(test_split):
    x, _ = test_split
    alpha = pad(x[:500])
    gen = torch.Generator().manual_seed(0)
    ink = torch.randint(0, len(COLOURS), (500,), generator=gen)
    bg = (ink + torch.randint(1, len(COLOURS), (500,), generator=gen)) % len(COLOURS)
    images = render(alpha, PALETTE_RGB[ink], PALETTE_RGB[bg])
    blurred = torch.nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    noisy = (blurred + 0.05 * torch.randn(images.shape, generator=gen)).clamp(0, 1)
    read_ink, read_bg = read_colours(noisy)
    assert (read_bg == bg).float().mean() > 0.99
    assert (read_ink == ink).float().mean() > 0.95


def test_blank_image_has_no_ink():
    blank = PALETTE_RGB[COLOURS.index("blue")][None, :, None, None].expand(1, 3, 32, 32)
    ink, bg = read_colours(blank)
    assert ink.item() == -1 and COLOURS[bg.item()] == "blue"


def test_prompt_accuracy_counts_each_attribute(evaluator, test_split):
    x, y = test_split
    alpha = pad(x[:4])
    red, white, blue = (PALETTE_RGB[COLOURS.index(c)] for c in ("red", "white", "blue"))
    images = render(alpha, torch.stack([red] * 4), torch.stack([white] * 4))
    right = [PromptSpec(int(d), "red", "white") for d in y[:4]]
    assert prompt_accuracy(images, right, evaluator)["all"] == 1.0
    wrong_ink = [PromptSpec(int(d), "blue", "white") for d in y[:4]]
    score = prompt_accuracy(images, wrong_ink, evaluator)
    assert score == {"digit": 1.0, "ink": 0.0, "background": 1.0, "colours": 0.0, "all": 0.0}
    unsaid = [PromptSpec() for _ in range(4)]  # nothing asked: everything matches
    assert prompt_accuracy(images, unsaid, evaluator)["all"] == 1.0
    with pytest.raises(ValueError, match="4 images but 3"):
        prompt_accuracy(images, right[:3], evaluator)
    assert blue is not None


def test_prompt_accuracy_takes_pil_images(evaluator, test_split):
    from PIL import Image
    x, y = test_split
    images = render(pad(x[:2]), PALETTE_RGB[[3, 3]], PALETTE_RGB[[1, 1]])
    pil = [Image.fromarray((im.permute(1, 2, 0).numpy() * 255).round().astype("uint8")) for im in images]
    specs = [PromptSpec(int(d), COLOURS[3], COLOURS[1]) for d in y[:2]]
    assert prompt_accuracy(pil, specs, evaluator)["all"] == 1.0


def test_missing_evaluator_weights_name_the_file(tmp_path):
    with pytest.raises(ModelFolderError, match="digit_classifier.safetensors is missing.*git checkout"):
        load_evaluator(tmp_path)
    data = (DATA / "evaluator" / "digit_classifier.safetensors").read_bytes()
    (tmp_path / "digit_classifier.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFolderError, match="truncated"):
        load_evaluator(tmp_path)


def test_the_sample_sketch_reads_clearly_as_a_blue_3_on_yellow(evaluator):
    """data/samples/blue_3_on_yellow.png starts notebook 10's image-to-image: it must not pass for an 8."""
    from PIL import Image

    from deeper.images import from_pil

    image = from_pil(Image.open(DATA / "samples" / "blue_3_on_yellow.png"))
    with torch.no_grad():
        p = evaluator.classifier(image.to(evaluator.device)).softmax(1)[0]
    digit, ink, background = evaluator.read(image)
    assert p[3] >= 0.9 and (int(digit), COLOURS[int(ink)], COLOURS[int(background)]) == (3, "blue", "yellow")

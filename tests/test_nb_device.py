"""Each notebook that loads a model says which device and dtype `DEVICE` gave it, and why."""

import pytest

from notebooks import executed

pytestmark = pytest.mark.notebook

PICKED = "tiny-sd: device cpu, float32 (picked: no CUDA GPU or Apple MPS found)"  # DEVICE = None on a CPU machine
ASKED = "tiny-sd: device cpu, float32 (asked for)"  # DEVICE = 'cpu'


def printed(nb) -> str:
    return "".join(out.get("text", "") for c in nb.cells if c.cell_type == "code" for out in c.outputs
                   if out.output_type == "stream")


@pytest.mark.parametrize("name, note", [
    ("10_sd_pipeline.ipynb", PICKED + "; 32x32 images"),
    ("11_sd_inside.ipynb", PICKED),
    ("12_sd_organised.ipynb", PICKED),
    ("13_sd_prompt_mixing.ipynb", PICKED),
    ("20_progressive_distillation.ipynb", ASKED),
    ("21_guided_distillation.ipynb", ASKED),
    ("22_imagic.ipynb", ASKED),
])
def test_notebook_says_which_device_it_got(name, note):
    assert note in printed(executed(name)).splitlines()

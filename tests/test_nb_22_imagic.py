"""What notebook 22 (Imagic) computed: the three stages ran, the η sweep was measured, and the
explorer widget was saved with the fit in it."""

import re

import pytest

from notebooks import executed, has_image, png_of, text_output, widget_states

pytestmark = pytest.mark.notebook

IMAGIC = "22_imagic.ipynb"
ETAS = [k / 4 for k in range(9)]  # η from 0 to 2 in steps of 0.25


def sweep_lines(nb) -> dict:
    """η -> (target read %, rest kept %, distance to input) as the sweep cell printed them."""
    found = re.findall(r"η = (\S+): target read +(\d+)%, and the rest kept +(\d+)%, distance to input (\S+)",
                       text_output(nb, "sweep"))
    return {float(eta): (int(read), int(kept), distance) for eta, read, kept, distance in found}


def test_imagic_runs_its_three_stages_and_measures_the_edit():
    nb = executed(IMAGIC)
    assert "target prompt:" in text_output(nb, "input")
    assert float(re.search(r"e_opt moved (\S+)% of", text_output(nb, "fit"))[1]) > 0 and has_image(nb, "fit")
    sweep = sweep_lines(nb)
    assert list(sweep) == ETAS and has_image(nb, "sweep")
    assert all(kept <= read and float(distance) > 0 for read, kept, distance in sweep.values())
    assert has_image(nb, "curves")
    summary = text_output(nb, "table")
    assert "1 of 4 fitted: ink on test digit 0" in summary and "4 of 4 fitted" in summary  # no silent wait
    shares = re.findall(r"^(\w+) +best η (\S+): target with the rest kept in +(\d+)% of \d+ images "
                        r"\(target read in +(\d+)%\)", summary, re.M)
    assert [kind for kind, *_ in shares] == ["ink", "background", "thickness", "slant"]
    assert all(float(eta) in ETAS and int(kept) <= int(read) for _, eta, kept, read in shares)


def test_imagic_widget_shows_the_fit():
    images = widget_states(executed(IMAGIC), "ImageModel")
    curves = [m for m in images if "deeper-imagic-curves" in m["state"].get("_dom_classes", [])]
    assert curves and png_of(curves[0]).startswith(b"\x89PNG")
    html = " ".join(m["state"].get("value", "") for m in widget_states(executed(IMAGIC), "HTMLModel"))
    read, kept, distance = sweep_lines(executed(IMAGIC))[1.0]
    # the notebook sets the slider to 1: the caption shows the sweep's measurement at η = 1
    assert f"η = 1 · target read in {read}% of seeds ({kept}% with the rest kept) · distance {distance}" in html

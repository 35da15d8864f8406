"""What notebook 22 (Imagic) computed: the three stages ran, the η sweep was measured, and the
explorer widget was saved with the fit in it."""

import pytest

from notebooks import executed, has_image, png_of, text_output, widget_states

pytestmark = pytest.mark.notebook

IMAGIC = "22_imagic.ipynb"


def test_imagic_runs_its_three_stages_and_measures_the_edit():
    nb = executed(IMAGIC)
    assert "target prompt:" in text_output(nb, "input")
    assert "e_opt moved" in text_output(nb, "fit") and has_image(nb, "fit")
    sweep = text_output(nb, "sweep")
    assert sweep.count("distance to input") == 9 and has_image(nb, "sweep")  # η from 0 to 2 in steps of 0.25
    assert has_image(nb, "curves")
    summary = text_output(nb, "table")
    assert "1 of 4 fitted: ink on test digit 0" in summary and "4 of 4 fitted" in summary  # no silent wait
    for kind in ("ink", "background", "thickness", "slant"):
        assert kind in summary


def test_imagic_widget_shows_the_fit():
    images = widget_states(executed(IMAGIC), "ImageModel")
    curves = [m for m in images if "deeper-imagic-curves" in m["state"].get("_dom_classes", [])]
    assert curves and png_of(curves[0]).startswith(b"\x89PNG")
    html = " ".join(m["state"].get("value", "") for m in widget_states(executed(IMAGIC), "HTMLModel"))
    assert "η = 1 · target read in" in html  # the notebook sets the slider to 1

"""The widgets as a class sees them: JupyterLab on a projector (1920x1080 at 150% zoom, so 1280x720
CSS pixels at 1.5 device pixels each) and on a laptop (1366x768 CSS pixels). In each notebook with a
widget, Run All, then every widget is scrolled into view, photographed, and measured: nothing may
end past its cell's output area or scroll sideways, and the step slider must be wide enough to drag.
Screenshots land in tests/output/screenshots/projector-*.png and laptop-*.png."""

import pytest

from browser import run_all, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = {"projector": {"width": 1280, "height": 720}, "laptop": {"width": 1366, "height": 768}}  # CSS px
# notebook -> the class of one element inside each widget it must show
WIDGETS = {
    "01_mnist_lists_and_generators.ipynb": [".deeper-expression"],
    "04_random_numbers.ipynb": [".deeper-state"],
    "10_sd_pipeline.ipynb": [".deeper-generate", ".deeper-step"],
    "14_sd_text_and_attention.ipynb": [".deeper-attention-step"],
    "20_progressive_distillation.ipynb": [".deeper-student-image"],
    "22_imagic.ipynb": [".deeper-eta"],
}
MIN_SLIDER_PX = 300  # a slider a presenter can drag one step at a time from a laptop's trackpad

# Everything inside a widget's output area that ends past the area's right edge, or scrolls sideways.
OVERFLOWS = """(root) => {
  const area = root.closest('.jp-OutputArea-output');
  const edge = area.getBoundingClientRect().right;
  const name = e => (e.className && e.className.baseVal === undefined ? e.className : e.tagName).toString().split(' ')
      .filter(c => c.startsWith('deeper') || c.startsWith('widget')).join('.') || e.tagName;
  const problems = [];
  for (const e of [area, ...area.querySelectorAll('*')]) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    if (box.right > edge + 1) problems.push(`${name(e)} ends ${Math.round(box.right - edge)} px past its cell`);
    const style = getComputedStyle(e);
    if (['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1)
      problems.push(`${name(e)} scrolls sideways (${e.scrollWidth} px in ${e.clientWidth})`);
  }
  return problems;
}"""


def widget_root(page, selector: str):
    """The outermost widget element around `selector`: what its cell's output shows."""
    inner = page.locator(selector).first
    inner.scroll_into_view_if_needed()  # JupyterLab lays out only the cells in view
    return inner.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-OutputArea-output ')][1]")


@pytest.fixture
def page(browser):
    """One page per notebook: layout depends only on the CSS size, so each notebook runs once and is
    measured at every size in turn (1.5 device pixels each, a projector's sharpness)."""
    context = browser.new_context(viewport=SCREENS["projector"], device_scale_factor=1.5)
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


@pytest.mark.parametrize("notebook", list(WIDGETS))
def test_widgets_fit_their_cells(page, lab, notebook):
    run_all(page, lab, notebook, timeout_ms=600_000)
    problems = []
    for name, size in SCREENS.items():
        page.set_viewport_size(size)
        for selector in WIDGETS[notebook]:
            page.wait_for_selector(selector)
            area = widget_root(page, selector)
            page.wait_for_timeout(300)  # let images laid out after scrolling settle
            screenshot(area, f"{name}-{notebook.split('_')[0]}-{selector.strip('.').removeprefix('deeper-')}")
            problems += [f"{name}, {selector}: {p}" for p in area.evaluate(OVERFLOWS)]
        if notebook.startswith("10_"):
            problems += [f"{name}: {p}" for p in slider_and_panel_problems(page)]
    assert not problems, f"{notebook}:\n" + "\n".join(problems)


def slider_and_panel_problems(page) -> list[str]:
    """Notebook 10's live demo: a step slider a presenter can drag, under the panel it follows, both
    in one view of the notebook so nothing needs scrolling while the class watches."""
    problems = []
    track = page.locator(".deeper-step .slider-container, .deeper-step .widget-slider").first
    width = track.bounding_box()["width"]
    if width < MIN_SLIDER_PX:
        problems.append(f"the step slider's track is {width:.0f} CSS px wide (at least {MIN_SLIDER_PX})")
    # JupyterLab lays out only the cells in view, so both are measured with the panel's cell on screen.
    panel, slider = widget_root(page, ".deeper-generate"), widget_root(page, ".deeper-step")
    panel.scroll_into_view_if_needed()
    top, bottom = panel.bounding_box(), slider.bounding_box()
    view = page.locator(".jp-NotebookPanel-notebook").first.bounding_box()["height"]
    span = max(top["y"] + top["height"], bottom["y"] + bottom["height"]) - min(top["y"], bottom["y"])
    if not panel.evaluate("(a, b) => a.closest('.jp-Cell') === b.closest('.jp-Cell')", slider.element_handle()):
        problems.append("the prompt panel and its step slider are in different cells: show both in one output")
    if span > view:
        problems.append(f"the prompt panel and its step slider span {span:.0f} CSS px; the notebook shows {view:.0f}")
    return problems

"""The course as a student meets it: JupyterLab in a real browser, notebooks run, widgets moved.

Screenshots of each widget land in tests/output/screenshots/ (`make screenshots` copies them into
docs/ for the README)."""

import pytest

from browser import browser, cell_errors, lab, open_and_run, page, screenshot, wait_for_idle  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_matrix_inspector_responds_in_jupyterlab(page, lab):
    open_and_run(page, lab, "01_mnist_lists_and_generators.ipynb")
    wait_for_idle(page)
    assert not cell_errors(page)
    inspector = page.locator(".deeper-expression").locator("xpath=..")
    expression = page.locator(".deeper-expression")
    expression.scroll_into_view_if_needed()
    assert "img[20][15]" in expression.inner_text()
    before_text = expression.inner_text()
    before_image = page.locator(".deeper-heatmap").get_attribute("src")

    # Move the row slider with the keyboard, as a student would after clicking its handle.
    handle = page.locator(".deeper-row .noUi-handle, .deeper-row .ui-slider-handle").first
    handle.click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.deeper-expression').innerText.includes('img[23][15]')")
    assert expression.inner_text() != before_text
    assert page.locator(".deeper-heatmap").get_attribute("src") != before_image
    screenshot(inspector, "matrix_inspector")

    # Bad input inside the widget: an index out of range shows a message, and the widget lives on.
    box = page.locator(".deeper-index input")
    box.fill("99, 3")
    box.press("Enter")
    page.wait_for_selector(".deeper-error")
    assert "out of range" in page.locator(".deeper-error").inner_text()
    screenshot(page, "notebook_01")


def test_rng_visualiser_draws_and_forks_in_jupyterlab(page, lab):
    open_and_run(page, lab, "04_random_numbers.ipynb")
    wait_for_idle(page)
    assert not cell_errors(page)
    state = page.locator(".deeper-state")
    state.scroll_into_view_if_needed()
    before = state.inner_text()
    assert "drawn" in before

    page.locator(".deeper-draw1").click()
    page.wait_for_function("(before) => document.querySelector('.deeper-state').innerText !== before", arg=before)
    after_one = state.inner_text()
    page.locator(".deeper-draw100").click()
    page.wait_for_function("(before) => document.querySelector('.deeper-state').innerText !== before", arg=after_one)
    drawn = lambda text: int(text.split(" drawn")[0].rsplit(" ", 1)[-1])  # noqa: E731
    assert drawn(state.inner_text()) == drawn(after_one) + 100 == drawn(before) + 101

    fork_output = page.locator(".deeper-fork-output")
    before_fork = fork_output.inner_text()
    plot_before = page.locator(".deeper-rng-plot").get_attribute("src")
    page.locator(".deeper-fork").click()
    page.wait_for_function("(before) => document.querySelector('.deeper-fork-output').innerText !== before",
                           arg=before_fork)
    assert "child" in fork_output.inner_text().lower()
    page.wait_for_function("(src) => document.querySelector('.deeper-rng-plot').src !== src", arg=plot_before)
    screenshot(page.locator(".deeper-state").locator("xpath=.."), "rng_visualiser")

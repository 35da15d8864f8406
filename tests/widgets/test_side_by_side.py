"""The side-by-side widget in pure Python, on untrained students of the random tiny model."""

import pytest

from papers_fixtures import students_folder
from sd_fixtures import tiny_parts
from widgets.side_by_side import SideBySide


@pytest.fixture
def widget():
    return SideBySide(tiny_parts(), students=students_folder(), steps=2, reference_steps=8)


def test_draws_teacher_student_and_reference(widget):
    assert widget.message.error == ""
    for image in (widget.teacher_image, widget.student_image, widget.reference_image):
        assert bytes(image.value).startswith(b"\x89PNG")
    assert "DDIM 2 steps" in widget.teacher_caption.value and "4 UNet evaluations" in widget.teacher_caption.value
    assert "2 steps" in widget.student_caption.value and "2 UNet evaluations" in widget.student_caption.value
    assert "8 steps (reference)" in widget.reference_caption.value and "16 UNet evaluations" in widget.reference_caption.value


def test_moving_the_slider_redraws(widget):
    before = bytes(widget.teacher_image.value)
    widget.steps.value = 1
    assert widget.message.error == "" and "1 steps" in widget.student_caption.value
    assert bytes(widget.teacher_image.value) != before


def test_a_step_count_without_a_student_is_named(widget):
    widget.steps.value = 3
    assert "no progressive student was distilled for 3 steps" in widget.message.error
    assert "1, 2, 4" in widget.message.error
    assert "DDIM 3 steps" in widget.teacher_caption.value  # the teacher still answers
    widget.steps.value = 4
    assert widget.message.error == ""


def test_progressive_students_fix_the_guidance(widget):
    assert widget.guidance.disabled and widget.guidance.value == 7.5


def test_guided_students_take_the_slider_and_warn_outside_their_range(widget):
    widget.family.value = "guided"
    assert not widget.guidance.disabled and widget.message.error == ""
    widget.guidance.value = 12.0
    assert "outside the trained range" in widget.message.value
    assert bytes(widget.student_image.value).startswith(b"\x89PNG")
    widget.guidance.value = 4.0
    assert "outside" not in widget.message.value


def test_same_seed_same_pictures_other_seed_other_pictures(widget):
    first = bytes(widget.student_image.value)
    widget.seed.value = 1
    assert bytes(widget.student_image.value) != first
    widget.seed.value = 0
    assert bytes(widget.student_image.value) == first


def test_dom_classes_for_the_browser(widget):
    assert "deeper-steps" in widget.steps._dom_classes and "deeper-student-image" in widget.student_image._dom_classes

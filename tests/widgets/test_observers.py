"""Every callback a course widget hangs on a control (observe, on_click) turns an exception into a
message in the widget: walked over every widget's tree, so the next unguarded observer is caught."""

import importlib
import inspect
import pkgutil

import ipywidgets as W
import pytest

import widgets
from deeper.digits.evaluator import DigitClassifier, Evaluator
from papers_fixtures import students_folder
from sd_fixtures import tiny_parts


def course_widget_classes() -> dict[str, type]:
    classes = {}
    for info in pkgutil.iter_modules(widgets.__path__):
        module = importlib.import_module(f"widgets.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, W.Box):
                classes[name] = cls
    return classes


def build(name: str):
    """One instance of each course widget, as small as it can be made."""
    from deeper.papers.imagic import ImagicSettings
    from deeper.sd import run
    makers = {
        "PromptPanel": lambda cls: cls(tiny_parts(), background=False),
        "MatrixInspector": lambda cls: cls([[1.0, 2.0], [3.0, 4.0]]),
        "RNGVisualiser": lambda cls: cls(seed=1),
        "StepSlider": lambda cls: cls(run(tiny_parts(), "a 7", steps=2)),
        "PromptMixer": lambda cls: cls(tiny_parts(), "a 1", "a 2", steps=1),
        "SideBySide": lambda cls: cls(tiny_parts(), students=students_folder(), steps=2, reference_steps=2),
        "ImagicExplorer": lambda cls: cls(tiny_parts(), Evaluator(DigitClassifier()), settings=ImagicSettings(
            embedding_steps=1, unet_steps=1, batch_size=1, sample_steps=1), etas=[0.0, 1.0], seeds=(0,)),
        "ExerciseProgress": lambda cls: cls([]),
        "AttentionExplorer": lambda cls: cls(tiny_parts(), "a 7", steps=1),
    }
    assert name in makers, f"{name} is a new widget: add it to build() so its observers are checked"
    return makers[name](course_widget_classes()[name])


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def is_ours(callback) -> bool:
    """A callback written in widgets/ (ipywidgets' own, such as a link's, are not ours to guard)."""
    owner = getattr(callback, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(callback, "__module__", "")
    return (module or "").startswith("widgets.")


def callbacks(widget):
    """(where, callback) for every observer and click handler in the widget's tree."""
    for w in descendants(widget):
        for trait, kinds in w._trait_notifiers.items():
            for handlers in kinds.values():
                for handler in handlers:
                    yield f"{type(w).__name__}.{trait}", handler
        for handler in getattr(getattr(w, "_click_handlers", None), "callbacks", []):
            yield f"{type(w).__name__}.on_click", handler


@pytest.mark.parametrize("name", sorted(course_widget_classes()))
def test_every_observer_turns_errors_into_a_message(name):
    widget = build(name)
    ours = [(where, cb) for where, cb in callbacks(widget) if is_ours(cb)]
    unguarded = [f"{where}: {getattr(cb, '__qualname__', cb)}" for where, cb in ours if not getattr(cb, "shows_errors", False)]
    assert not unguarded, f"wrap these in @shows_errors (or common.guarded): {unguarded}"


def test_the_walk_finds_the_observers_it_must_check():
    """The walk is not vacuous: the prompt panel's buttons and the inspector's sliders are found."""
    found = {where for where, cb in callbacks(build("PromptPanel")) if is_ours(cb)}
    assert {"Button.on_click"} <= found
    found = {where for where, cb in callbacks(build("MatrixInspector")) if is_ours(cb)}
    assert {"IntSlider.value", "Text.value"} <= found


def test_an_unguarded_observer_would_be_found():
    inspector = build("MatrixInspector")
    inspector.row_slider.observe(inspector._render, names="value")  # an unguarded method, as a slip would add
    sneaky = [cb for _, cb in callbacks(inspector) if is_ours(cb) and not getattr(cb, "shows_errors", False)]
    assert len(sneaky) == 1


def test_a_guarded_lambda_reports_to_the_widget():
    from widgets.common import guarded
    inspector = build("MatrixInspector")
    inspector.row_slider.observe(guarded(inspector, lambda change: 1 / 0), names="value")
    inspector.row_slider.value = 1
    assert inspector.message.error == "ZeroDivisionError: division by zero"

"""What every course widget shares: PNG rendering into `Image.value`, and a message line that
turns an exception in a callback into a readable message inside the widget."""

import functools
import html
import io

import ipywidgets as W
import numpy as np
from PIL import Image

from deeper.images import LabelledGrid

SLIDER_WIDTH = "420px"  # a slider wide enough to drag one value at a time on a projector


def png_bytes(image) -> bytes:
    """PNG bytes for an `Image.value`: from a labelled grid (its labels kept in the PNG), a PIL image, or
    a 2-D (grey) / HxWx3 array in [0, 1] or uint8."""
    if isinstance(image, LabelledGrid):
        return image.png()
    if not isinstance(image, Image.Image):
        array = np.asarray(image)
        if array.dtype != np.uint8:
            array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
        image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (closed afterwards, so nothing piles up in the kernel)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


class MessageLine(W.HTML):
    """One line under a widget's controls: empty when all is well, the message when not."""

    def show_error(self, message: str) -> None:
        self.value = f'<div class="deeper-error" style="color:#b00020">⚠ {html.escape(message)}</div>'

    def show_info(self, message: str) -> None:
        self.value = f'<div class="deeper-info" style="color:#555">{html.escape(message)}</div>'

    def clear(self) -> None:
        self.value = ""

    @property
    def error(self) -> str:
        """The error shown now ('' when none), as plain text: what tests assert on."""
        if 'class="deeper-error"' not in self.value:
            return ""
        return html.unescape(self.value.split("⚠ ", 1)[1].rsplit("</div>", 1)[0])


def error_text(e: Exception) -> str:
    """What the message line says: the message alone for the usual bad-input errors, else the class too."""
    return f"{e}" if isinstance(e, (ValueError, IndexError, TypeError, KeyError)) else f"{type(e).__name__}: {e}"


def shows_errors(method):
    """Decorate a widget's callback: an exception becomes a message in `self.message`, the
    kernel and the widget live on, and whatever was on screen stays there."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every failure must reach the student, not the log
            self.message.show_error(error_text(e))
            return None
        return result

    wrapper.shows_errors = True  # what tests/widgets/test_observers.py looks for on every observer
    return wrapper


def guarded(widget, callback):
    """`callback` (a lambda given to `observe` or `on_click`) with `shows_errors`' promise: an exception
    becomes a message in `widget.message` instead of escaping into the kernel's log."""

    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - as in shows_errors
            widget.message.show_error(error_text(e))
            return None

    wrapper.shows_errors = True
    return wrapper

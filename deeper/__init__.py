"""Deep Learning Diving Deeper: the shared backend of the course.

Plain functions and small classes, no UI: the widgets and the notebooks both stand on it.
This package never imports ipywidgets.
"""

__version__ = "0.1.0"

from .quiet import quiet_expected_messages

quiet_expected_messages()

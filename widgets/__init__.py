"""The course's widgets: composites of core ipywidgets only (Colab runs ipywidgets 7.7.1 and breaks
on custom JavaScript widgets). Each puts every rendered result into a value trait, so it is testable
in pure Python, and shows errors inside itself, never as a kernel traceback."""

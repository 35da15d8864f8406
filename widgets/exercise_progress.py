"""The progress view: a notebook's exercises with passed / not done yet / failed, updated as checks run."""

import html

import ipywidgets as W

from deeper.exercises.core import FAILED, NOT_DONE, PASSED

from .common import MessageLine

MARKS = {PASSED: ("✓", "#1b7f3b"), NOT_DONE: ("…", "#777"), FAILED: ("✗", "#b00020")}


class ExerciseProgress(W.VBox):
    """One line per exercise (its status, name and task), and a count; refreshed after every check."""

    def __init__(self, exercises):
        super().__init__()
        self.exercises = list(exercises)
        self.title = W.HTML()
        self.table = W.HTML()
        self.message = MessageLine()
        self.children = [self.title, self.table, self.message]
        self.add_class("deeper-exercise-progress")
        for exercise in self.exercises:
            exercise.listeners.append(self._refresh)
        self._refresh()

    def _refresh(self, _exercise=None) -> None:
        done = sum(e.status == PASSED for e in self.exercises)
        self.title.value = f"<b>Exercises: {done} of {len(self.exercises)} passed</b>"
        rows = []
        for e in self.exercises:
            mark, colour = MARKS[e.status]
            rows.append(f'<tr><td style="color:{colour}">{mark} {e.status}</td>'
                        f"<td><code>ex.{e.name}</code></td><td>{html.escape(e.task)}</td></tr>")
        self.table.value = "<table>" + "".join(rows) + "</table>"
        failed = [e for e in self.exercises if e.status == FAILED]
        if failed:
            self.message.show_info(f"{failed[-1].name}: {failed[-1].message}")
        else:
            self.message.clear()

    @property
    def statuses(self) -> dict[str, str]:
        """{exercise name: status}, what tests assert on."""
        return {e.name: e.status for e in self.exercises}

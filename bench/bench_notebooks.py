"""A student's Run All: every notebook with its default settings (CI=False), cell by cell, on this CPU.

    .venv/bin/python bench/bench_notebooks.py [NAME ...] [--out DIR]

Runs each notebook (all of course/, or those named) through papermill with `CI=False`, timing every
output as it arrives, and prints per notebook its time against the target (3 minutes, unless the
markdown above each long cell says how long it takes), its longest cell, the cells that went more
than 20 s without showing anything (no print, no progress bar, no widget update), and the cells
that wrote to stderr (a warning box the lesson did not ask for). Issue 21 set the targets. It
writes the executed notebooks and, beside each, NAME.cells.json: every code cell's first line,
seconds, longest silence and outputs. Minutes per notebook on a laptop CPU, the whole course far
longer: a benchmark, not a test.
"""

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

REPO = Path(__file__).resolve().parent.parent
COURSE = REPO / "course"
SILENT_AFTER = 20  # seconds without anything new on screen
NOTEBOOK_TARGET = 180  # seconds, unless the markdown above each long cell says how long it takes
NAMES_A_TIME = re.compile(r"\b(minutes?|seconds|\d+ s)\b")
# What a student sees change while a cell runs: outputs, progress bars redrawn, widgets updated.
SHOWN = {"stream", "display_data", "execute_result", "update_display_data", "error", "clear_output", "comm_msg"}


class TimedClient(PapermillNotebookClient):
    """papermill's client, noting when each cell starts, shows something, and ends."""

    events: dict[int, list[float]]

    def process_message(self, msg, cell, cell_index):
        kind, now = msg["msg_type"], time.perf_counter()
        if kind == "status" and msg["content"]["execution_state"] == "busy":
            self.events[cell_index] = [now]
        elif kind in SHOWN or kind == "status":
            self.events.setdefault(cell_index, [now]).append(now)
        return super().process_message(msg, cell, cell_index)


class TimedEngine(NBClientEngine):
    """papermill's own engine (the same arguments, handled as it does), with TimedClient."""

    events: dict[int, list[float]] = {}

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = TimedClient(nb_man, **final_kwargs)
        client.events = cls.events
        return client.execute()


papermill_engines.register("timed", TimedEngine)


def longest_silence(events: list[float]) -> float:
    return max((b - a for a, b in zip(events, events[1:])), default=0.0)


def cells_report(nb, events: dict[int, list[float]]) -> dict:
    """Per code cell: seconds, longest silence, outputs; and the long, silent, unwarned and noisy cells."""
    cells, long, silent, unwarned, noisy = [], [], [], [], []
    previous_markdown = ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            previous_markdown = cell.source
            continue
        seconds = cell.metadata.get("papermill", {}).get("duration") or 0.0
        quiet = longest_silence(events.get(index, []))
        first = cell.source.splitlines()[0][:60] if cell.source else ""
        stderr = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
        cells.append({"index": index, "first_line": first, "seconds": round(seconds, 2),
                      "longest_silence": round(quiet, 2), "outputs": [o.output_type for o in cell.outputs],
                      "stderr": stderr[:500]})
        if seconds > SILENT_AFTER:
            long.append((seconds, first))
            if not NAMES_A_TIME.search(previous_markdown):
                unwarned.append((seconds, first))
        if quiet > SILENT_AFTER:
            silent.append((quiet, first))
        if stderr:
            noisy.append((first, stderr.strip().splitlines()[0][:100]))
        previous_markdown = ""
    return {"cells": cells, "long": long, "silent": silent, "unwarned": unwarned, "noisy": noisy}


def run(name: str, out: Path) -> tuple[float, dict]:
    TimedEngine.events.clear()
    start = time.perf_counter()
    papermill.execute_notebook(str(COURSE / name), str(out / name), parameters={"CI": False}, cwd=str(COURSE),
                               kernel_name="python3", progress_bar=False, engine_name="timed")
    seconds = time.perf_counter() - start
    report = cells_report(nbformat.read(out / name, as_version=4), TimedEngine.events)
    (out / f"{Path(name).stem}.cells.json").write_text(json.dumps({"seconds": round(seconds, 1), **report}, indent=1))
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks in course/ (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="where the executed notebooks go (default: a temp dir)")
    args = parser.parse_args()
    names = args.names or sorted(p.name for p in COURSE.glob("*.ipynb"))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-notebooks-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"Run All with CI=False, per notebook (targets: {NOTEBOOK_TARGET} s in all unless the markdown above each "
          f"long cell gives its time; nothing silent for more than {SILENT_AFTER} s; nothing on stderr)")
    print(f"{'notebook':<36} {'total s':>8} {'target':>7} {'longest cell':>13} {'silent':>7} {'unwarned':>9} {'stderr':>7}")
    missed = 0
    for name in names:
        seconds, report = run(name, out)
        longest = max((c["seconds"] for c in report["cells"]), default=0.0)
        within = seconds <= NOTEBOOK_TARGET or not report["unwarned"]
        missed += (not within) + bool(report["silent"]) + bool(report["noisy"])
        print(f"{name:<36} {seconds:8.0f} {'met' if within else 'missed':>7} {longest:12.0f}s "
              f"{len(report['silent']):>7} {len(report['unwarned']):>9} {len(report['noisy']):>7}", flush=True)
        for s, first in report["silent"]:
            print(f"    silent for {s:.0f} s: {first}")
        for s, first in report["unwarned"]:
            print(f"    {s:.0f} s, no time in the markdown above: {first}")
        for first, line in report["noisy"]:
            print(f"    stderr from {first}: {line}")
    print(f"{len(names)} notebooks, {missed} targets missed; executed notebooks and per-cell records in {out}")


if __name__ == "__main__":
    main()

"""RNG-state visualiser: Wichmann-Hill's three state integers as numbers are drawn, a histogram
and a lag plot of the draws, torch's generator state for the same clicks, and a Fork button that
shows parent and child drawing side by side (a real fork, or spawn where there is none)."""

import html

import ipywidgets as W
import numpy as np
import torch

from deeper.forking import fork_draws
from deeper.torch_rng import N_WORDS, read_state
from deeper.wichmann_hill import M, WichmannHill, step

from .common import MessageLine, figure_png, guarded, shows_errors

FORK_DRAWS = 5  # how many numbers parent and child each draw after a Fork


def _torch_seed(seed: int) -> int:
    return seed % 2**64  # torch takes seeds in [0, 2**64); Wichmann-Hill takes any int


def _plot(states, values, torch_state) -> bytes:
    """Four panels: x, y, z over the draws; histogram; lag plot u[k+1] against u[k]; torch's words."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.size": 13}):  # about 11 pt on screen at figure_png's 80 dpi: a projector's
        return _draw(plt, states, values, torch_state)


def _draw(plt, states, values, torch_state) -> bytes:
    fig, ((ax_state, ax_hist), (ax_lag, ax_torch)) = plt.subplots(2, 2, figsize=(10, 7.5))
    recent = states[-100:]
    first = len(states) - len(recent)
    for k, (name, m) in enumerate(zip("xyz", M)):
        ax_state.plot(range(first, len(states)), [s[k] for s in recent], ".-", lw=0.6, ms=3, label=f"{name} (mod {m})")
    ax_state.set(title="state (x, y, z), last 100 draws", xlabel="draw", ylim=(0, 31000),
                 xlim=(first - 0.5, max(len(states), first + 100) - 0.5))  # the axes of 100 draws, even before any
    if states:
        ax_state.legend(fontsize=13, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, columnspacing=0.8,
                        handlelength=1)  # under the panel, clear of the data
    ax_hist.hist(values, bins=20, range=(0, 1), color="tab:blue")
    ax_hist.set(title=f"histogram of {len(values)} draws", xlim=(0, 1), ylabel="draws per bin")
    if not values:
        ax_hist.set_ylim(0, 10)  # counts, not the ±0.04 matplotlib picks for an empty histogram
    ax_lag.scatter(values[:-1], values[1:], s=4)
    ax_lag.set(title="lag plot: u[k+1] against u[k]", xlim=(0, 1), ylim=(0, 1), aspect="equal")
    if torch_state is not None:
        used = np.arange(N_WORDS).reshape(24, 26) < torch_state.position
        ax_torch.imshow(torch_state.words.reshape(24, 26), cmap="viridis")
        ax_torch.imshow(np.ma.masked_where(~used, used), cmap="gray", alpha=0.6, vmin=0, vmax=1)  # used: greyed
        ax_torch.set_title(f"torch: 624 words of Mersenne Twister\nnext word {torch_state.position} of {N_WORDS} (used ones greyed)", fontsize=13)
    ax_torch.axis("off")
    fig.tight_layout(h_pad=2.5)  # room for the legend under the state panel
    return figure_png(fig)


def _fork_table(result) -> str:
    """Parent and child side by side, one row per draw; equal numbers are marked."""
    rows = "".join(
        f"<tr><td>{k}</td><td>{p:.6f}</td><td>{c:.6f}</td><td>{'same' if p == c else 'differ'}</td>"
        f"<td>{tp:.6f}</td><td>{tc:.6f}</td></tr>"
        for k, (p, c, tp, tc) in enumerate(zip(result.parent, result.child, result.torch_parent, result.torch_child)))
    verdict = ("parent and child drew <b>the same</b> numbers" if result.same
               else "parent and child drew <b>different</b> numbers")
    return (f"<div>{result.method}: {verdict}</div><table><tr><th>#</th><th>parent rand()</th>"
            f"<th>child rand()</th><th>parent and child</th><th>parent torch.rand</th><th>child torch.rand</th></tr>{rows}</table>")


class RNGVisualiser(W.VBox):
    """Seed, draw and fork a Wichmann-Hill generator and a torch generator side by side."""

    def __init__(self, seed: int = 42):
        super().__init__()
        self.seed_box = W.Text(value=str(seed), description="seed")
        self.seed_button = W.Button(description="Seed")
        self.draw1_button = W.Button(description="Draw 1")
        self.draw100_button = W.Button(description="Draw 100")
        self.fork_button = W.Button(description="Fork")
        self.reseed_child = W.Checkbox(value=False, description="child reseeds")
        self.state = W.HTML()
        self.torch_state = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))  # natural size, not stretched
        self.fork_output = W.HTML()
        self.message = MessageLine()
        for widget, dom in [(self.seed_box, "deeper-seed"), (self.seed_button, "deeper-seed-button"),
                            (self.draw1_button, "deeper-draw1"), (self.draw100_button, "deeper-draw100"),
                            (self.fork_button, "deeper-fork"), (self.reseed_child, "deeper-reseed-child"),
                            (self.state, "deeper-state"), (self.torch_state, "deeper-torch-state"),
                            (self.image, "deeper-rng-plot"), (self.fork_output, "deeper-fork-output")]:
            widget.add_class(dom)
        self.seed_button.on_click(guarded(self, lambda _: self.seed()))
        self.draw1_button.on_click(guarded(self, lambda _: self.draw(1)))
        self.draw100_button.on_click(guarded(self, lambda _: self.draw(100)))
        self.fork_button.on_click(guarded(self, lambda _: self.fork()))
        self.children = [
            W.HBox([self.seed_box, self.seed_button, self.draw1_button, self.draw100_button]),
            W.HBox([self.fork_button, self.reseed_child]),
            self.state, self.torch_state, self.image, self.fork_output, self.message]
        self.rng, self.generator = WichmannHill(seed), torch.Generator()
        self.seed()

    @shows_errors
    def seed(self):
        """Seed both generators from the seed box; a seed that is not an int is a message."""
        text = self.seed_box.value.strip()
        if not text.lstrip("-").isdigit():  # before anything changes
            raise ValueError(f"the seed must be a whole number, such as 42 or -5; got {text!r}")
        seed = int(text)
        rng = WichmannHill(seed)
        self.rng = rng
        self.generator.manual_seed(_torch_seed(seed))
        self.states, self.values, self.torch_values = [], [], []
        self.drawn = {"draw": 0, "fork": 0}  # where the count of draws comes from
        self.fork_output.value = ""
        self.message.clear()
        self._render()

    @shows_errors
    def draw(self, n: int):
        for _ in range(n):
            self.values.append(self.rng.rand())
            self.states.append(self.rng.state)
        self.torch_values += torch.rand(n, generator=self.generator).tolist()
        self.drawn["draw"] += n
        self.message.clear()
        self._render()

    @shows_errors
    def fork(self):
        """Fork: parent and child each draw FORK_DRAWS numbers from their copy of both generators."""
        before = self.rng.state
        result = fork_draws(FORK_DRAWS, self.rng, self.generator, reseed_child=self.reseed_child.value)
        for u in result.parent:  # the parent's draws join the history, with the states that made them
            before = step(before)
            self.states.append(before)
            self.values.append(u)
        self.torch_values += result.torch_parent
        self.drawn["fork"] += len(result.parent)
        self.fork_output.value = _fork_table(result)
        if result.note:
            self.message.show_info(result.note)
        else:
            self.message.clear()
        self._render()

    def _render(self):
        x, y, z = self.rng.state
        last = f" · last rand() = {self.values[-1]:.6f}" if self.values else ""
        source = (f" ({self.drawn['draw']} by the Draw buttons, {self.drawn['fork']} by the parent after Fork)"
                  if self.drawn["fork"] else "")
        self.state.value = (f"Wichmann-Hill state: <b>x = {x}</b>, <b>y = {y}</b>, <b>z = {z}</b> · "
                            f"{len(self.values)} drawn{source}{last}")
        torch_state = read_state(self.generator)
        self.torch_state.value = html.escape(
            f"torch.Generator: initial seed {self.generator.initial_seed()}, {len(self.torch_values)} drawn"
            + (f", next word {torch_state.position} of {N_WORDS}" if torch_state else ""))
        self.image.value = _plot(self.states, self.values, torch_state)

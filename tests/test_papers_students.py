"""Students saved, packed and loaded back: the shipped format keeps what training made."""

import pytest
import torch

from deeper.papers.ddim import Schedule
from deeper.papers.denoisers import Student, load_student, save_student, student_unet
from deeper.papers.packing import pack, unpack
from deeper.papers.ship import ship
from deeper.papers.students import Family
from sd_fixtures import tiny_parts


@pytest.mark.parametrize("bits,limit", [(8, 1 / 254), (4, 1 / 14)])
def test_packing_rounds_each_difference_within_half_a_step(bits, limit):
    torch.manual_seed(0)
    base = {"w": torch.randn(70, 33), "b": torch.randn(5)}
    new = {"w": base["w"] + 0.1 * torch.randn(70, 33), "b": torch.randn(5), "extra": torch.randn(3, 4)}
    back = unpack(pack(new, base, bits), base, {k: v.shape for k, v in new.items()})
    delta = new["w"] - base["w"]
    assert (back["w"] - new["w"]).abs().max() <= delta.abs().max() * limit * 1.01
    assert (back["b"] - new["b"]).abs().max() < 1e-3  # vectors kept whole in float16
    assert (back["extra"] - new["extra"]).abs().max() <= new["extra"].abs().max() * limit * 1.01  # no base: from zero


def test_packing_refuses_other_widths():
    with pytest.raises(ValueError, match="bits must be 4 or 8"):
        pack({"w": torch.ones(2, 2)}, {"w": torch.ones(2, 2)}, bits=3)


def _chain(tmp_path, guided):
    """Two trained-looking students (weights moved away from the teacher) saved in full."""
    parts = tiny_parts()
    schedule = Schedule.from_scheduler(parts.scheduler)
    family = "guided" if guided else "progressive"
    torch.manual_seed(1)
    students, base = [], parts.unet
    for n in (4, 2):
        unet = student_unet(base, takes_guidance=guided)
        with torch.no_grad():
            for p in unet.parameters():
                p.add_(0.01 * torch.randn_like(p))
        info = {"steps": n} | ({"guidance_range": [1.0, 8.0]} if guided else {"guidance_scale": 7.5})
        student = Student(unet, schedule, info)
        save_student(student, tmp_path / "trained" / family / str(n), dtype=torch.float32)
        students.append(student)
        base = unet
    return parts, family, students


@pytest.mark.parametrize("guided", [False, True])
def test_shipped_students_predict_as_trained(tmp_path, guided):
    parts, family, students = _chain(tmp_path, guided)
    ship(tmp_path / "trained", tmp_path / "students", model=None, bits=8, families={family: ["4", "2"]},
         teacher_unet=parts.unet)
    loaded = Family(family, parts.unet, tmp_path / "students")
    assert loaded.steps == [2, 4]
    z, t = torch.randn(2, 4, 8, 8), torch.tensor([999, 300])
    cond = torch.randn(2, 77, parts.text_encoder.config.hidden_size)
    for student, n in zip(students, (4, 2)):
        with torch.no_grad():
            want = student.v(z, t, cond, guidance_scale=3.0)
            got = loaded[n].v(z, t, cond, guidance_scale=3.0)
        assert (got - want).abs().max() < 0.02 * want.abs().max()
    assert loaded.info["steps"] == 2 and loaded[2].info["base"] == "4" and loaded[4].info["base"] == "teacher"


def test_a_packed_student_wants_its_base(tmp_path):
    parts, family, _ = _chain(tmp_path, False)
    ship(tmp_path / "trained", tmp_path / "students", bits=4, families={family: ["4"]}, teacher_unet=parts.unet)
    with pytest.raises(ValueError, match="difference from 'teacher'"):
        load_student(tmp_path / "students" / family / "4")


def test_a_missing_step_count_names_those_there_are(tmp_path):
    parts, family, _ = _chain(tmp_path, False)
    ship(tmp_path / "trained", tmp_path / "students", families={family: ["4", "2"]}, teacher_unet=parts.unet)
    with pytest.raises(ValueError, match="distilled for 3 steps; there are students for 2, 4"):
        Family(family, parts.unet, tmp_path / "students")[3]


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="family must be one of progressive, guided"):
        Family("consistency", tiny_parts().unet)


def test_a_benchmark_says_how_far_it_has_got():
    """A long table is not a silent wait: a line as each row starts drawing, and as it starts timing."""
    from deeper.digits import held_out_prompts, load_evaluator
    from deeper.mnist import load_mnist
    from deeper.papers.evaluate import Benchmark
    from deeper.papers.students import teacher_of

    said = []
    bench = Benchmark(tiny_parts(), load_evaluator(), load_mnist()[2], pairs=held_out_prompts(2, 0), timing_repeats=1,
                      progress=said.append)
    row = bench.row("teacher (DDIM)", teacher_of(tiny_parts()), 2)
    assert said == ["teacher (DDIM), 2 steps, guidance 7.5: drawing 2 images",
                    f"    {row['accuracy']:.1%} right; timing one image"]
    said.clear()
    row = bench.row("teacher (DDIM)", teacher_of(tiny_parts()), 33)  # long rows: a line every 16 steps
    assert said == ["teacher (DDIM), 33 steps, guidance 7.5: drawing 2 images", "    step 16 of 33",
                    "    step 32 of 33", f"    {row['accuracy']:.1%} right; timing one image"]
    said.clear()
    bench.row("teacher (DDIM)", teacher_of(tiny_parts()), 1)
    assert said[0] == "teacher (DDIM), 1 step, guidance 7.5: drawing 2 images"

"""How long each exercise's check takes on the reference solution, against its budget (issue 16:
under 1 s for the foundations, under 5 s for Stable Diffusion and the papers), as ratios.

    .venv/bin/python bench/bench_exercises.py

"first" is the first check in a fresh process (the SD ones load the tiny SD then, once per kernel);
"again" the best of three more.
"""

import time

from deeper.exercises import (guided, imagic, inside, iteration, linear, matrix, mixing, organised, pipeline,
                              progressive, random_numbers, tensors)

FOUNDATIONS = [iteration, matrix, tensors, random_numbers, linear]
SD = [pipeline, inside, organised, mixing, progressive, guided, imagic]


def check_seconds(exercise) -> float:
    context = (organised.clean,) if exercise is organised.keep_clean else ()
    start = time.perf_counter()
    status, message = exercise.outcome(exercise.reference, *context)
    assert status == "passed", message
    return time.perf_counter() - start


def main():
    print(f"  {'exercise':<34} {'first':>8} {'again':>8} {'budget':>7} {'first/budget':>13} {'again/budget':>13}")
    for lessons, budget in ((FOUNDATIONS, 1.0), (SD, 5.0)):
        for lesson in lessons:
            for exercise in lesson.EXERCISES:
                first = check_seconds(exercise)
                again = min(check_seconds(exercise) for _ in range(3))
                name = f"{lesson.__name__.rsplit('.', 1)[1]}.{exercise.name}"
                print(f"  {name:<34} {first:7.2f}s {again:7.2f}s {budget:6.0f}s {first / budget:13.2f} {again / budget:13.2f}")


if __name__ == "__main__":
    main()

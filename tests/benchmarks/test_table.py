"""run.py's table: reading a benchmark's JSON line, its rows, the exit status, RESULTS.md."""

from __future__ import annotations

import json

import pytest

from benchmarks._goal import result
from benchmarks._table import (
    FAIL,
    FAILED,
    INFO,
    MISSING,
    PASS,
    SKIPPED,
    TIMEOUT,
    BadResults,
    Outcome,
    exit_code,
    figure,
    markdown_table,
    parse_results,
    results_markdown,
    rows_for,
    text_table,
)


def line(*results: dict[str, object]) -> str:
    return json.dumps({"results": list(results)})


def ran(stdout: str, returncode: int = 0, stderr: str = "") -> Outcome:
    return Outcome("bench_x", "x: a goal", "", returncode, stdout, stderr, 1.0)


# result(): which figure the limit bounds


def test_a_reference_makes_the_limit_bound_the_ratio() -> None:
    r = result("help ≤ 2×", 0.09, "s", 2.0, reference=0.04)
    assert r["ratio"] == pytest.approx(2.25) and r["pass"] is False
    assert result("help ≤ 2×", 0.07, "s", 2.0, reference=0.04)["pass"] is True


def test_a_ratio_far_under_one_keeps_its_digits() -> None:
    # One event against a rebuild: ~1/5000; four decimals would keep a single digit.
    r = result("event", 0.2345678, "ms", 1 / 1000, reference=1000.0)
    assert r["ratio"] == 0.0002346 and r["pass"] is True
    assert result("x", 1, "s", None, reference=3)["ratio"] == 0.3333


def test_without_a_reference_the_limit_bounds_the_figure() -> None:
    assert result("reach", 0.19, "s", 0.2)["pass"] is True
    assert result("reach", 0.21, "s", 0.2)["pass"] is False
    assert result("reach", 0.19, "s", 0.2)["ratio"] is None


def test_an_absolute_limit_ignores_the_reference_for_the_verdict() -> None:
    r = result("reach", 0.19, "s", 0.2, reference=0.17, absolute=True)
    assert r["pass"] is True and r["ratio"] == pytest.approx(0.19 / 0.17, rel=1e-3)
    assert result("reach", 0.3, "s", 0.2, reference=1.0, absolute=True)["pass"] is False


def test_at_least_turns_the_comparison() -> None:
    assert result("rate", 90, "count", 0.8, reference=100, at_least=True)["pass"] is True
    assert result("rate", 70, "count", 0.8, reference=100, at_least=True)["pass"] is False


def test_a_condition_that_does_not_hold_fails_the_row_whatever_the_figure() -> None:
    assert result("lists", 0, "count", 0, holds=False)["pass"] is False
    assert result("lists", 0, "count", 0, holds=True)["pass"] is True
    assert result("lists", 1, "count", 0, holds=True)["pass"] is False


def test_a_figure_without_a_target_passes_and_says_so() -> None:
    r = result("lab fetch", 0.6, "s", None)
    assert r["pass"] is True and r["limit"] is None


# parse_results(): the last JSON line counts


def test_the_last_results_line_is_read_after_the_benchmarks_own_report() -> None:
    first = result("a", 1.0, "s", 2.0)
    last = result("b", 3.0, "s", 2.0)
    out = f"some report\n{line(first)}\n{{not json\nmore text\n{line(last)}\n"
    got = parse_results(out)
    assert got is not None and [r["goal"] for r in got] == ["b"]


def test_json_that_is_not_a_results_object_is_not_taken_for_one() -> None:
    assert parse_results('{"targets": 4}\n[1, 2]\nplain text\n') is None
    assert parse_results("") is None


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"results": {"goal": "x"}}, "not a list"),
        ({"results": [3]}, "not an object"),
        ({"results": [{"measured": 1, "pass": True}]}, "'goal'"),
        ({"results": [{"goal": "g", "measured": "1", "pass": True}]}, "'measured'"),
        ({"results": [{"goal": "g", "measured": 1, "pass": "yes"}]}, "'pass'"),
        ({"results": [{"goal": "g", "measured": 1, "pass": True, "ratio": "2"}]}, "'ratio'"),
        ({"results": [{"goal": "g", "measured": True, "pass": True}]}, "'measured'"),
    ],
)
def test_a_results_line_of_the_wrong_shape_is_refused(bad: object, words: str) -> None:
    with pytest.raises(BadResults, match=words):
        parse_results(json.dumps(bad))


def test_a_non_finite_figure_is_refused() -> None:
    # json.dumps writes NaN, which json.loads reads back: a figure nobody can compare.
    with pytest.raises(BadResults, match="'measured'"):
        parse_results(
            json.dumps({"results": [{"goal": "g", "measured": float("nan"), "pass": True}]})
        )


# rows_for(): one row per result, or one saying why there are none


def test_each_result_is_a_row_judged_pass_fail_or_info() -> None:
    out = line(
        result("kept ≤ 10%", 0.05, "x", 0.1),
        result("time ≤ 1.5×", 3.0, "s", 1.5, reference=1.0),
        result("a yardstick", 0.6, "s", None),
    )
    rows = rows_for(ran(out, returncode=1))
    assert [r.status for r in rows] == [PASS, FAIL, INFO]
    assert [r.goal for r in rows] == ["kept ≤ 10%", "time ≤ 1.5×", "a yardstick"]
    assert rows[1].measured == "3.00 s" and rows[1].reference == "1.00 s"
    assert rows[1].ratio == "3.00× (≤ 1.50×)"
    assert rows[1].note == ""  # exit 1 is a benchmark's "a target missed": not noted


def test_an_absolute_limit_shows_the_ratio_and_the_figures_limit() -> None:
    rows = rows_for(ran(line(result("reach", 0.3, "s", 0.2, reference=0.15, absolute=True))))
    assert rows[0].ratio == "2.00×; ≤ 0.200 s" and rows[0].status == FAIL


def test_an_unusual_exit_code_with_results_is_noted() -> None:
    rows = rows_for(ran(line(result("g", 1.0, "s", 2.0, note="n")), returncode=-9))
    assert rows[0].status == PASS and rows[0].note == "exit -9; n"


def test_a_missing_benchmark_is_a_row_not_a_crash() -> None:
    rows = rows_for(Outcome("bench_live", "2. live", status=MISSING))
    assert len(rows) == 1
    assert (rows[0].benchmark, rows[0].goal, rows[0].status) == ("bench_live", "2. live", MISSING)


def test_a_timeout_and_a_skip_say_so() -> None:
    (row,) = rows_for(Outcome("bench_x", "g", status=TIMEOUT, seconds=30.2))
    assert row.status == TIMEOUT and "30 s" in row.note
    (row,) = rows_for(Outcome("bench_x", "g", status=SKIPPED))
    assert row.status == SKIPPED


def test_a_timeout_and_a_skip_say_whose_limit_it_was() -> None:
    why = "the rest of the run's 290 s; its own budget is 45 s"
    (row,) = rows_for(Outcome("bench_x", "g", status=TIMEOUT, seconds=20.4, why=why))
    assert row.note == f"stopped after 20 s ({why})"
    why = "not started: 3 s of the run's 290 s were left, its budget is 12 s"
    (row,) = rows_for(Outcome("bench_x", "g", status=SKIPPED, why=why))
    assert row.note == why


def test_a_benchmark_that_died_shows_its_last_error_line() -> None:
    err = "Traceback (most recent call last):\n  ...\nKeyError: 'pods'\n"
    (row,) = rows_for(ran("partial report\n", returncode=1, stderr=err))
    assert row.status == FAILED and row.goal == "x: a goal"
    assert "exit 1" in row.note and "KeyError: 'pods'" in row.note


def test_bad_json_and_an_empty_list_are_failures() -> None:
    (row,) = rows_for(ran('{"results": [1]}'))
    assert row.status == FAILED and "bad JSON" in row.note
    (row,) = rows_for(ran('{"results": []}'))
    assert row.status == FAILED and "empty" in row.note


# exit status and the printed tables


def test_the_run_passes_only_when_every_row_passes_or_has_no_target() -> None:
    good = rows_for(ran(line(result("a", 1.0, "s", 2.0), result("b", 1.0, "s", None))))
    assert exit_code(good) == 0
    assert exit_code([*good, *rows_for(Outcome("bench_y", "g", status=MISSING))]) == 1
    assert exit_code(rows_for(ran(line(result("a", 3.0, "s", 2.0))))) == 1
    assert exit_code([]) == 0


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "s", "—"),
        (0.0437, "s", "0.0437 s"),
        (2.2512, "x", "2.25×"),
        (12.34, "ms", "12.3 ms"),
        (1234.5, "count", "1,234"),
        (0, "count", "0"),
        (3.0, "count", "3"),
        (76.5, "count", "76.5"),
        (0.5, "", "0.500"),
    ],
)
def test_figures_keep_three_significant_digits_and_their_unit(
    value: float | None, unit: str, text: str
) -> None:
    assert figure(value, unit) == text


def test_the_text_table_aligns_columns_and_the_markdown_escapes_pipes() -> None:
    rows = [
        *rows_for(ran(line(result("a | b", 1.0, "s", 2.0)))),
        *rows_for(Outcome("bench_longer_name", "g", status=MISSING)),
    ]
    lines = text_table(rows).splitlines()
    assert lines[0].startswith("benchmark") and len(lines) == 3
    assert lines[1].index("a | b") == lines[0].index("goal") == lines[2].index("g ")
    md = markdown_table(rows)
    assert "a \\| b" in md and md.count("\n") == 3


def test_results_markdown_has_the_date_machine_table_and_a_paragraph_per_benchmark() -> None:
    rows = [
        *rows_for(ran(line(result("a", 1.0, "s", 2.0), result("b", 1.0, "s", 2.0)))),
        *rows_for(Outcome("bench_y", "g", status=MISSING)),
    ]
    text = results_markdown(
        rows,
        date="2026-12-01 17:00 UTC",
        machine={"cores": "2", "memory": "7.8 GiB", "Python": "3.11.7"},
        command="python benchmarks/run.py --write-results",
        limits={"bench_x": "The decoder,\n   then routing.", "bench_z": "not run"},
    )
    assert "2026-12-01 17:00 UTC" in text and "cores 2, memory 7.8 GiB, Python 3.11.7" in text
    assert markdown_table(rows) in text
    assert "**bench_x**: The decoder, then routing." in text
    assert text.count("**bench_x**") == 1 and "bench_z" not in text
    assert "2 pass, 1 missing." in text


def test_results_markdown_says_how_long_each_took_of_its_budget() -> None:
    rows = rows_for(ran(line(result("a", 1.0, "s", 2.0))))
    text = results_markdown(
        rows,
        date="d",
        machine={},
        command="c",
        limits={},
        timings=[("bench_x", 12.4, 20.0), ("bench_y", 3.0, 4.0)],
    )
    assert "Time each took, of its budget: bench_x 12/20 s, bench_y 3/4 s." in text
    assert "Time each took" not in results_markdown(
        rows, date="d", machine={}, command="c", limits={}
    )

"""The benchmark suite's entry point (``python -m bench``, bench/__main__.py): registry, rows, reports.

Runs in-process (one worker) on the smallest task, a few queries of random search.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _bench_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.chdir(ROOT)


def bench_main(*argv: str) -> int:
    from bench.__main__ import main

    return main(list(argv))


def test_list_names_every_family_with_its_tasks_and_methods(capsys: pytest.CaptureFixture[str]) -> None:
    bench_main("list")
    out = capsys.readouterr().out
    for family in ("suite", "nb201", "mo", "real", "transfer", "transnas", "priors"):
        assert f"\n{family}: " in "\n" + out
    assert "chain-27" in out and "mnist1d-nb101" in out and "constrained-edgegpu" in out


def test_run_appends_rows_with_provenance_resumes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "rows.jsonl"
    args = ("run", "suite/chain-27", "--methods", "random", "--seeds", "2", "--workers", "1",
            "--set", "budget=5", "--raw", str(raw))
    bench_main(*args)
    rows = [json.loads(line) for line in raw.read_text().splitlines()]
    assert sorted(r["seed"] for r in rows) == [0, 1]
    for r in rows:
        assert r["family"] == "suite" and r["task"] == "chain-27" and len(r["trace"]) == 5
        assert r["job"] == {"task": "chain-27", "method": "random", "seed": r["seed"],
                            "options": {"budget": 5, "batch": None}, "config": None}
        assert len(r["commit"]) == 40 and r["cpu_count"] >= 1 and r["wall_seconds"] > 0
        assert set(r["versions"]) == {"agnet-bo", "torch", "botorch", "gpytorch", "numpy", "scipy", "torch-geometric", "pymoo", "networkx"} and r["versions"]["torch"] and r["versions"]["numpy"]
    capsys.readouterr()
    bench_main(*args)  # nothing left to run: the rows are there
    assert "0 runs to do (2 already" in capsys.readouterr().out
    assert len(raw.read_text().splitlines()) == 2
    bench_main("run", "suite/chain-27", "--methods", "random", "--seeds", "1", "--workers", "1",
               "--set", "budget=6", "--raw", str(raw))  # other options: another run
    assert len(raw.read_text().splitlines()) == 3
    for text in ('{"n_initial": 2}', '{"n_initial": 2}', '{"n_initial": 3}'):  # a name's config is part of the run
        bench_main("run", "suite/chain-27", "--methods", "mine", "--config", f"mine={text}", "--seeds", "1",
                   "--workers", "1", "--set", "budget=5", "--raw", str(raw))
    mine = [json.loads(line) for line in raw.read_text().splitlines()][3:]
    assert [r["job"]["config"] for r in mine] == [{"n_initial": 2}, {"n_initial": 3}]
    capsys.readouterr()
    bench_main("report", str(raw), "--at", "5")  # the family is read off the rows
    out = capsys.readouterr().out
    assert "| chain-27 | random budget=5 | 2 |" in out and "| chain-27 | random budget=6 | 1 |" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("run", "nosuchtask"), "unknown task 'nosuchtask'"),
        (("run", "suite/nosuch"), "family 'suite' has no task 'nosuch'"),
        (("run", "cifar10"), "write FAMILY/cifar10"),  # in nb201 and transfer
        (("run", "chain-27", "--methods", "agnett"), "has no method 'agnett'"),
        (("run", "chain-27", "--set", "budgett=3"), "has no option budgett; its options: budget, batch"),
        (("run", "chain-27", "--config", "x=3"), "NAME=JSON with a JSON object"),
        (("run", "chain-27", "nb201/cifar10"), "one family per command"),
        (("run", "real/mnist1d-nb101", "--config", "x={}"), "family 'real' takes its own methods .*not --config"),
        (("run", "nb201/cifar10", "--raw", "rows.jsonl.gz"), "is compressed"),
        (("report", "bench/results/suite.jsonl"), "give it first"),
        (("report", "nb201", "bench/results/compare-nb201/runs.jsonl.gz", "--methods", "paper"), "its methods: .*agnet-paper"),
        (("same", "bench/results/suite.jsonl", "bench/results/suite.jsonl", "--family", "workers"), "no per-query trace"),
        (("same", "bench/results/suite.jsonl", "bench/results/suite.jsonl", "--family", "nope"), "no family 'nope'"),
        (("same", "bench/results/suite.jsonl", "bench/results/suite.jsonl", "--method", "agnett"), "OLD=NEW if it was renamed"),
        (("same", "bench/results/suite.jsonl", "bench/results/suite.jsonl", "--family", "nb201"), "are these nb201 rows"),
    ],
)
def test_bad_input_says_what_was_expected(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        bench_main(*argv)


def test_same_finds_the_first_query_where_two_runs_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.jsonl"
    bench_main("run", "suite/chain-27", "--methods", "random", "--seeds", "2", "--workers", "1",
               "--set", "budget=6", "--raw", str(old))
    rows = [json.loads(line) for line in old.read_text().splitlines()]
    rows[1]["trace"][3] += 1.0  # seed 1 parts at its 4th query
    for r in rows:
        r["method"] = "mine"  # renamed since
    new = tmp_path / "new.jsonl"
    new.write_text("".join(json.dumps(r) + "\n" for r in rows))
    capsys.readouterr()
    bench_main("same", str(old), str(new), "--method", "random=mine")
    out = capsys.readouterr().out
    assert "| chain-27 | 0 |" in out and out.count("identical") == 2  # the row of seed 0, and the count
    assert "| chain-27 | 1 |" in out and "part at query 4 |" in out
    assert "1 of 2 runs identical" in out


def test_report_reproduces_committed_tables(capsys: pytest.CaptureFixture[str]) -> None:
    """Headline figures of the topic pages (bench/topics), regenerated from the committed rows."""
    bench_main("report", "transnas", "--seeds-below", "2")
    out = capsys.readouterr().out
    assert "| one | prior | 0.196 | 0.077 | 0.024 |" in out
    bench_main("report", "nb201", "--methods", "default")  # the rerun of issue 44
    out = capsys.readouterr().out
    assert "| cifar10 | default | 20 | 96 | 94.37 ± 0.00 | 0.005 | 90% |" in out
    assert "| ImageNet16-120 | default | 20 | 96 | 46.51 ± 0.35 | 0.167 | 40% |" in out


def test_a_crashing_child_is_a_row_with_its_exit_code() -> None:
    from bench.core import in_child

    row = in_child("core:no_such_function", {"seed": 3})
    assert row["returncode"] != 0 and row["seed"] == 3
    assert "no_such_function" in row["stderr_tail"]


@pytest.mark.slow
def test_timed_families_run_one_at_a_time_in_their_own_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "threads.jsonl"
    bench_main("run", "workers/threads-nb201", "--methods", "reuse", "--seeds", "1", "--set", "threads=2",
               "--set", "budget=6", "--set", "train_time=[0, 0.01]", "--raw", str(raw))
    assert "go one at a time (--workers 2 ignored)" in capsys.readouterr().out
    (row,) = [json.loads(line) for line in raw.read_text().splitlines()]
    assert row["returncode"] == 0 and row["asked"] == 6 and row["duplicates"] == 0 and row["lost"] == 0
    bench_main("report", str(raw))
    assert "| 2 | reuse | 0-0.01 | 6 |" in capsys.readouterr().out


@pytest.mark.slow
def test_topic_pages_are_generated_from_the_committed_rows() -> None:
    """Every table of bench/topics/*.md is what its `report` block prints from the rows in the
    repository (`python -m bench pages` regenerates them after new rows are committed)."""
    bench_main("pages", "--check")


def test_pages_regenerates_a_block_and_check_sees_stale_pages(tmp_path: Path) -> None:
    page = tmp_path / "topic.md"
    block = "<!-- bench: report transnas bench/results/transfer_transnas.jsonl --seeds-below 2 -->\n"
    page.write_text("# A topic\n\nProse.\n\n" + block + "stale table\n<!-- /bench -->\n\nMore prose.\n")
    with pytest.raises(SystemExit, match="out of date"):
        bench_main("pages", "--dir", str(tmp_path), "--check")
    bench_main("pages", "--dir", str(tmp_path))
    text = page.read_text()
    assert "stale table" not in text and "| one | prior | 0.196 | 0.077 | 0.024 |" in text
    assert text.startswith("# A topic\n\nProse.\n\n" + block) and text.endswith("<!-- /bench -->\n\nMore prose.\n")
    bench_main("pages", "--dir", str(tmp_path), "--check")  # up to date now


def test_report_methods_filter_keeps_rows_labelled_with_their_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "rows.jsonl"
    bench_main("run", "suite/chain-27", "--methods", "random", "--seeds", "1", "--workers", "1",
               "--set", "budget=4", "--raw", str(raw))
    capsys.readouterr()
    bench_main("report", "suite", str(raw), "--methods", "random", "--at", "4")
    assert "| chain-27 | random budget=4 | 1 |" in capsys.readouterr().out


def test_a_view_read_off_the_prior_searches_names_them_not_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    bench_main("report", "transfer", "--view", "optimum-positions")
    out = capsys.readouterr().out
    assert "| ImageNet16-120 | 12ep | 33 / 33 / 33 / 33 / 33 |" in out
    assert "Read from the prior searches in bench/results/transfer_priors (made at ed6fcfd" in out
    assert "Rows read" not in out


def test_same_compares_transfer_runs_per_target_and_prior(capsys: pytest.CaptureFixture[str]) -> None:
    bench_main("same", "bench/results/transfer_nb201_12ep.jsonl", "bench/results/transfer_nb201_12ep_reset.jsonl",
               "--family", "transfer", "--method", "prior")
    out = capsys.readouterr().out
    assert "| ImageNet16-120 12ep | 1 | 88ad944 | 2dc8d22 | part at query 43 |" in out
    assert "4 of 5 runs identical" in out

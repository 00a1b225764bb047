import json
import subprocess
import sys

import pytest

from agnet_bo.cli import main


def test_sample_json_is_reproducible_and_matches_the_benchmark(capsys):
    import agnet_bo as ab

    assert main(["sample", "-n", "3", "--seed", "7", "--json", "--metrics", "valid-accuracy,test-accuracy"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and len({r["index"] for r in rows}) == 3
    bench = ab.benchmarks.NB201(dataset="cifar10")
    space = bench.space
    for row in rows:
        arch = space.from_string(row["arch"])
        assert space.index(arch) == row["index"]
        assert row["valid-accuracy"] == bench.evaluate(arch)["valid-accuracy"]
    assert main(["sample", "-n", "3", "--seed", "7", "--json", "--metrics", "valid-accuracy,test-accuracy"]) == 0
    assert json.loads(capsys.readouterr().out) == rows


def test_sample_table(capsys):
    assert main(["sample", "-n", "2", "--dataset", "cifar100", "--epochs", "12"]) == 0
    out = capsys.readouterr().out
    assert "cifar100, 12 epochs" in out and "optimum of the space" in out


def test_other_spaces_print_architectures(capsys):
    assert main(["sample", "--space", "nb101", "-n", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_unknown_metric_is_a_clean_error(capsys):
    assert main(["sample", "-n", "1", "--metrics", "accuracy"]) == 2
    err = capsys.readouterr().err
    assert "agnet-bo: error" in err and "valid-accuracy" in err


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as exc:
        main(["sample", "--dataset", "mnist"])
    assert exc.value.code == 2


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "agnet_bo", "info"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "space nb201" in out.stdout and "latency-edgegpu" in out.stdout


# -- agnet-bo run / compare / pretrain ----------------------------------------------------------
def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_run_end_to_end_writes_everything(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--budget", "24", "--batch-size", "8", "--out", str(out), "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert "best architecture: |" in text and "regret" in text and "test-accuracy" in text
    for name in ("config.json", "state.json", "trials.jsonl", "summary.json", "curve.csv", "plot.png"):
        assert (out / name).exists(), name
    trials = _lines(out / "trials.jsonl")
    assert [t["id"] for t in trials] == list(range(24))
    assert len({t["key"] for t in trials}) == 24
    assert {t["source"] for t in trials} == {"initial", "proposed"}  # the model took over after 16
    summary = json.loads((out / "summary.json").read_text())
    best = max(trials, key=lambda t: t["values"]["valid-accuracy"])
    assert summary["best"]["valid-accuracy"] == best["values"]["valid-accuracy"]
    assert summary["best"]["test-accuracy"] == best["info"]["test-accuracy"]
    assert summary["regret"] == pytest.approx(91.60666665 - best["values"]["valid-accuracy"])
    assert len((out / "curve.csv").read_text().splitlines()) == 25
    assert (out / "plot.png").read_bytes()[:4] == b"\x89PNG"
    # the same directory is not overwritten
    assert main(["run", "--budget", "24", "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_interrupted_run_resumes_without_losing_or_repeating(tmp_path, capsys, monkeypatch):
    from agnet_bo.benchmarks import NB201

    out = tmp_path / "run"
    real = NB201.evaluate
    calls = {"n": 0}

    def flaky(self, arch, metrics=None):
        calls["n"] += 1
        if calls["n"] == 13:
            raise KeyboardInterrupt
        return real(self, arch, metrics)

    monkeypatch.setattr(NB201, "evaluate", flaky)
    assert main(["run", "--method", "random", "--budget", "32", "--batch-size", "8", "--out", str(out), "--no-progress"]) == 130
    assert "--resume" in capsys.readouterr().out
    assert len(_lines(out / "trials.jsonl")) == 12
    monkeypatch.setattr(NB201, "evaluate", real)
    assert main(["run", "--resume", str(out), "--no-progress"]) == 0
    trials = _lines(out / "trials.jsonl")
    assert [t["id"] for t in trials] == list(range(32)) and len({t["key"] for t in trials}) == 32
    assert all(t["state"] == "COMPLETE" for t in trials)
    # a resumed run may extend its budget
    assert main(["run", "--resume", str(out), "--budget", "40", "--no-progress"]) == 0
    assert len(_lines(out / "trials.jsonl")) == 40


def test_run_multi_objective_with_constraint(tmp_path, capsys):
    out = tmp_path / "mo"
    args = ["run", "--method", "random", "--objective", "valid-accuracy", "--objective", "latency-pixel3:min",
            "--constraint", "latency-pixel3<=15", "--budget", "24", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    assert "hypervolume" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert 0 < summary["hypervolume_fraction"] <= 1
    assert summary["front"] and all(f["latency-pixel3"] <= 15 for f in summary["front"])


@pytest.mark.parametrize(
    "args, match",
    [
        (["--objective", "accuracy"], "valid-accuracy"),
        (["--objective", "latency-iphone:min"], "latency-pixel3"),
        (["--method", "bayesopt"], "agnet"),
        (["--method", "agnet:kernel=wl"], "surrogate"),
        (["--constraint", "latency-edgegpu<5"], "METRIC<=BOUND"),
        (["--objective", "valid-accuracy:up"], "METRIC:min"),
    ],
)
def test_run_bad_input_is_a_clean_error(tmp_path, capsys, args, match):
    assert main(["run", "--budget", "4", "--out", str(tmp_path / "x"), "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("agnet-bo: error") and match in err
    assert not (tmp_path / "x").exists()


def test_unknown_benchmark_is_a_clean_error(tmp_path, capsys):
    assert main(["run", "--benchmark", "nb301", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "nb301" in err and "nb201" in err and "package.module:attribute" in err
    assert not (tmp_path / "x").exists()


_USER_BENCH = """
import numpy as np
from agnet_bo.benchmarks import TabularBenchmark
from agnet_bo.spaces import DAGSpace

CALLS = []

def make(dataset):
    CALLS.append(dataset)
    space = DAGSpace.chain(["conv3x3", "conv1x1", "skip"], num_layers=3)
    archs = space.sample(space.size, seed=0)  # distinct: the whole space
    score = {"conv3x3": 3.0, "conv1x1": 2.0, "skip": 1.0}
    acc = [sum(score.get(op, 0.0) * (i + 1) for i, op in enumerate(a.ops)) for a in archs]
    return TabularBenchmark(space, archs, {"val-acc": acc, "test-acc": np.asarray(acc) - 1.0,
                                           "latency": [a.ops.count("conv3x3") for a in archs]},
                            directions={"val-acc": "maximize", "test-acc": "maximize"}, name=dataset)

NOT_A_BENCH = 3
"""


def test_user_benchmark_by_import_path(tmp_path, capsys, monkeypatch):
    (tmp_path / "my_bench.py").write_text(_USER_BENCH)
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_bench

    space_size = len(my_bench.make("toy"))
    assert space_size == 27  # the whole space is tabulated
    common = ["--benchmark", "my_bench:make", "--dataset", "toy", "--objective", "val-acc", "--report", "test-acc",
              "--budget", "12", "--batch-size", "4", "--no-progress"]
    assert main(["run", "--method", "evolution", "--out", str(tmp_path / "run"), *common]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["evaluated"] == 12 and summary["optimum"] == 27.0  # conv3x3 everywhere
    assert my_bench.CALLS[-1] == "toy"
    out = tmp_path / "cmp"
    assert main(["compare", "--methods", "random", "local", "--seeds", "2", "--at", "12", "--workers", "1",
                 "--out", str(out), *common]) == 0
    assert "| toy | local | 2 | 12 |" in (out / "table.md").read_text()
    capsys.readouterr()
    assert main(["run", "--benchmark", "my_bench:NOT_A_BENCH", "--out", str(tmp_path / "y"), "--no-progress"]) == 2
    assert "expected an agnet_bo.benchmarks.TabularBenchmark" in capsys.readouterr().err
    assert main(["run", "--benchmark", "no_such_module_xyz:make", "--out", str(tmp_path / "y"), "--no-progress"]) == 2
    assert "cannot import module 'no_such_module_xyz'" in capsys.readouterr().err


def test_resume_of_nothing_is_a_clean_error(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path), "--no-progress"]) == 2
    assert "Nothing to resume" in capsys.readouterr().err


def test_compare_writes_table_and_plot_and_reuses_finished_runs(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "--methods", "random", "local", "--seeds", "2", "--budget", "20", "--at", "10",
            "--workers", "1", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    table = (out / "table.md").read_text()
    assert "| cifar10 | random | 2 | 10 |" in table and "| cifar10 | local | 2 | 20 |" in table
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert len((out / "table.csv").read_text().splitlines()) == 5
    runs = _lines(out / "runs.jsonl")
    assert len(runs) == 4 and all(len(r["best"]) == 20 for r in runs)
    assert main(args) == 0  # nothing left to run: the same table from the saved runs
    assert len(_lines(out / "runs.jsonl")) == 4 and (out / "table.md").read_text() == table

    # --no-run tabulates what is there (here 2 of 3 seeds of random) and runs nothing
    assert main([*args[:5], "3", *args[6:], "--no-run"]) == 0
    assert len(_lines(out / "runs.jsonl")) == 4
    assert "| cifar10 | random | 2 | 10 |" in (out / "table.md").read_text()
    assert main(["compare", "--methods", "evolution", "--out", str(out), "--no-run", "--no-progress"]) == 2
    assert "No finished runs" in capsys.readouterr().err


def test_pretrain_saves_a_loadable_generator(tmp_path, capsys):
    from agnet_bo.generator import Generator
    from agnet_bo.spaces import NB201Space

    path = tmp_path / "g.pt"
    assert main(["pretrain", "--space", "nb201", "--samples", "64", "--epochs", "1", "--out", str(path), "--no-progress"]) == 0
    assert "saved to" in capsys.readouterr().out
    gen = Generator.load(path, NB201Space())
    assert len(gen.sample(5, seed=0)) == 5


def test_acquisition_help_lists_every_acquisition(capsys):
    from agnet_bo.acquisition import ACQUISITIONS

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = "".join(capsys.readouterr().out.split())  # argparse wraps long choice lists
    assert "--acquisition{" + ",".join(ACQUISITIONS) + "}" in out


def test_resume_with_a_corrupted_config_names_the_file_and_what_is_left(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"benchmark": "nb201", "method"')  # cut off mid-write
    (tmp_path / "state.json").write_text("{}")
    (tmp_path / "trials.jsonl").write_text("")
    assert main(["run", "--resume", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "config.json is corrupted" in err and "trials.jsonl" in err and "Traceback" not in err


def test_resume_refuses_flags_it_would_not_apply(tmp_path, capsys):
    from agnet_bo.cli import main

    assert main(["run", "--resume", str(tmp_path), "--seed", "3", "--dataset", "cifar100"]) == 2
    err = capsys.readouterr().err
    assert "--dataset, --seed would not be applied" in err and "--budget" in err
    assert list(tmp_path.iterdir()) == []  # refused before anything was read or written


def test_compare_help_shows_only_what_compare_accepts_and_run_names_its_choices(capsys):
    from agnet_bo.cli import build_parser
    from agnet_bo.names import ACQUISITIONS

    with pytest.raises(SystemExit):
        build_parser().parse_args(["compare", "--help"])
    assert "--acquisition" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--acquisition", "ei"])
    err = capsys.readouterr().err
    assert "invalid choice: 'ei'" in err and all(name in err for name in ACQUISITIONS)


def test_resume_recovers_every_result_from_trials_jsonl(tmp_path, capsys):
    """state.json missing or unreadable: the search is rebuilt from trials.jsonl; results appended
    after the last save are told on resume; an unreadable line is skipped and named."""
    out = tmp_path / "run"
    assert main(["run", "--method", "random", "--budget", "16", "--batch-size", "8", "--out", str(out), "--no-progress"]) == 0
    told = {t["key"]: t for t in _lines(out / "trials.jsonl")}
    assert len(told) == 16
    (out / "state.json").write_text('{"format": "agnet_bo.optimizer", "vers')  # cut off mid-write
    with pytest.warns(UserWarning, match="rebuilding the search from the 16 results"):
        assert main(["run", "--resume", str(out), "--budget", "24", "--no-progress"]) == 0
    after = _lines(out / "trials.jsonl")
    assert len(after) == 24 and {t["key"]: t["values"] for t in after[:16]} == {k: t["values"] for k, t in told.items()}
    (out / "state.json").unlink()
    with open(out / "trials.jsonl", "a") as f:
        f.write("{not json\n")
    with pytest.warns(UserWarning) as record:
        assert main(["run", "--resume", str(out), "--budget", "28", "--no-progress"]) == 0
    messages = " ".join(str(w.message) for w in record)
    assert "line(s) [25] cannot be read" in messages and "rebuilding the search from the 24 results" in messages
    assert len(_lines(out / "trials.jsonl")) == 28


def test_results_appended_after_the_last_save_are_told_on_resume(tmp_path, capsys):
    import agnet_bo as ab

    out = tmp_path / "run"
    assert main(["run", "--method", "random", "--budget", "8", "--batch-size", "8", "--out", str(out), "--no-progress"]) == 0
    opt = ab.Optimizer.load(out / "state.json")
    (t,) = opt.ask(1)
    opt.save(out / "state.json")  # saved with the trial pending ...
    bench = ab.benchmarks.NB201("cifar10")
    done = opt.tell(t, bench.evaluate(t.arch, metrics=["valid-accuracy"]), info={"test-accuracy": 1.0})
    with open(out / "trials.jsonl", "a") as f:  # ... its result appended before a crash
        f.write(json.dumps(done.to_dict()) + "\n")
    assert main(["run", "--resume", str(out), "--budget", "10", "--no-progress"]) == 0
    lines = _lines(out / "trials.jsonl")
    assert len(lines) == 10 and lines[8]["key"] == t.key and lines[8]["state"] == "COMPLETE"


@pytest.mark.parametrize(
    "argv, match",
    [
        (["run", "--budget", "x"], "expected a positive integer, got 'x'"),
        (["run", "--dataset", "cifar11"], "has cifar10, cifar100, ImageNet16-120; got 'cifar11'"),
        (["run", "--budget", "-5"], "expected a positive integer, got -5"),
        (["run", "--batch-size", "zero"], "expected a positive integer, got 'zero'"),
        (["run", "--epochs", "50"], "200 or 12 epochs; got 50"),
        (["compare", "--datasets", "cifar10", "foo"], "got 'foo'"),
        (["run", "--prior", "no/such/run"], "'no/such/run' does not exist; expected an agnet-bo run folder"),
    ],
)
def test_bad_values_are_refused_before_the_heavy_imports(argv, match):
    """Refused by argparse with only the light modules loaded (a wrong dataset took 5-9 s)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom agnet_bo.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as e:\n    print('exit', e.code)\n"
        "print('torch' in sys.modules, 'agnet_bo.experiment' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert match in proc.stderr
    assert proc.stdout.split() == ["exit", "2", "False", "False"]


def test_a_run_starts_from_an_earlier_run_as_its_prior_and_resumes_without_it(tmp_path):
    from agnet_bo.cli import main

    first, second = tmp_path / "c100", tmp_path / "c10"
    assert main(["run", "--dataset", "cifar100", "--method", "random", "--budget", "8", "--batch-size", "4",
                 "--no-progress", "--no-plot", "--out", str(first)]) == 0
    assert main(["run", "--prior", str(first), "--budget", "4", "--batch-size", "4", "--no-progress", "--no-plot",
                 "--method", "agnet:n_initial=4", "--out", str(second)]) == 0
    trials = _lines(second / "trials.jsonl")
    assert [t["source"] for t in trials] == ["prior", "prior", "prior", "initial"]
    c100 = _lines(first / "trials.jsonl")
    best = max(c100, key=lambda t: t["values"]["valid-accuracy"])
    assert trials[0]["key"] == best["key"]
    assert json.loads((second / "config.json").read_text())["prior"] == [str(first)]
    import shutil

    shutil.move(str(first), str(tmp_path / "moved"))  # the prior is saved with the run
    assert main(["run", "--resume", str(second), "--budget", "6", "--no-progress", "--no-plot"]) == 0
    assert len(_lines(second / "trials.jsonl")) == 6

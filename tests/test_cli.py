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

import os

import pytest

import agnet_bo as ab
from agnet_bo._files import atomic_write


def test_a_missing_folder_is_named_with_the_users_path(tmp_path):
    target = tmp_path / "runs" / "x.json"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(target, "{}")
    msg = str(info.value)
    assert str(target) in msg and str(tmp_path / "runs") in msg and "makedirs" in msg
    assert ".tmp" not in msg and not (tmp_path / "runs").exists()


def test_save_into_a_missing_folder_says_so_and_writes_nothing(tmp_path):
    opt = ab.Optimizer(ab.spaces.NB201Space(), "acc", n_initial=2, seed=0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        opt.save(tmp_path / "nope" / "run.json")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_other_write_errors_name_the_users_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="ro/x.json"):
            atomic_write(folder / "x.json", "{}")
    finally:
        folder.chmod(0o700)


def test_atomic_write_replaces_the_file(tmp_path):
    target = tmp_path / "x.txt"
    atomic_write(target, "one")
    atomic_write(target, b"two")
    assert target.read_text() == "two" and sorted(os.listdir(tmp_path)) == ["x.txt"]

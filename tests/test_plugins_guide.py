"""docs/guides/plugins.md runs: a user-written acquisition and a user-written surrogate (public
contract only) each run a search, and so do a built-in with settings and a user preset."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "plugins.md"


def test_every_code_block_of_the_plugins_guide_runs_its_search(capsys):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    assert len(blocks) == 5
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(GUIDE), "exec"), namespace)
    printed = [float(x) for x in capsys.readouterr().out.split()]
    assert len(printed) == 5 and all(0 < acc <= 100 for acc in printed)
    # the user's parts were really used, and saved searches name them without importing them
    opt = namespace["opt"]
    assert opt.preset is None and opt.pool_size == 60
    # the user's strategy chose the initial design: spread out further than random draws
    import numpy as np

    spread = namespace["spread"]
    assert type(spread.strategy).__name__ == "SpreadOutStart" and spread.n_initial == 8
    first = [t.arch for t in spread.trials if t.source == "initial"]
    assert len(first) == 8

    def min_gap(archs):
        X = spread.space.encode(archs).numpy()
        d = np.abs(X[:, None] - X[None]).sum(-1)
        return d[np.triu_indices(len(archs), 1)].min()

    randoms = [min_gap(spread.space.sample(8, seed=s)) for s in range(20)]
    assert min_gap(first) > np.median(randoms)
    user = namespace["ProbabilityOfImprovement"](0.01)
    assert user.get_params() == {"margin": 0.01} and repr(user) == "ProbabilityOfImprovement(margin=0.01)"


def test_a_search_with_user_components_saves_and_needs_them_again_on_load(tmp_path):
    import pytest

    import agnet_bo as ab

    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    namespace: dict = {"print": lambda *a: None}
    exec(compile("\n".join(blocks[:3]), str(GUIDE), "exec"), namespace)
    opt = namespace["opt"]
    opt.save(tmp_path / "s.json")
    with pytest.raises(ab.exceptions.StateFileError, match="surrogate of your own class"):
        ab.Optimizer.load(tmp_path / "s.json")
    space = namespace["space"]
    again = ab.Optimizer.load(
        tmp_path / "s.json", surrogate=namespace["NearestNeighbours"](space, k=3),
        acquisition=namespace["ProbabilityOfImprovement"](),
    )
    assert [t.key for t in again.ask(2)] == [t.key for t in opt.ask(2)]

import logging

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo.exceptions import InputError, StateFileError, UnknownNameError
from agnet_bo.objectives import Problem
from agnet_bo.presets import DEFAULT_MAX_MODEL_TRIALS
from agnet_bo.proposers import Proposer, RandomProposer
from agnet_bo.spaces import NB201Space
from agnet_bo.strategy import MODEL_SUBSETS, RoundData, Strategy


def _data(n: int, seed: int = 0, feasible: np.ndarray | None = None, shuffle_ids: bool = False) -> RoundData:
    space = NB201Space()
    archs = space.sample(n, seed=seed)
    Y = np.arange(n, dtype=float)[np.random.default_rng(seed).permutation(n)].reshape(-1, 1)
    ids = np.arange(n)
    if shuffle_ids:
        ids = np.random.default_rng(seed + 1).permutation(n)
    return RoundData(
        space=space, problem=Problem("acc", None), archs=archs, Y=Y, feasible=feasible, pending=[], exclude=frozenset(),
        n_asked=n, round=1, seed=seed, ids=ids,
    )


def _strategy(cap: int, rule: str = "best+random") -> Strategy:
    return Strategy(None, RandomProposer(NB201Space()), None, max_model_trials=cap, model_subset=rule)


def test_model_data_is_everything_up_to_the_bound():
    data = _data(40)
    assert _strategy(40).model_data(data) is data
    assert _strategy(0).model_data(data) is data  # 0: no bound


@pytest.mark.parametrize("rule", MODEL_SUBSETS)
def test_model_data_past_the_bound(rule):
    data = _data(100, seed=3, shuffle_ids=True)
    sub = _strategy(20, rule).model_data(data)
    assert len(sub.archs) == len(sub.Y) == len(sub.ids) == 20
    keys = [data.space.key(a) for a in sub.archs]
    assert len(set(keys)) == 20
    pos = [data.archs.index(a) for a in sub.archs]
    assert pos == sorted(pos)  # the history's order is kept
    np.testing.assert_array_equal(sub.Y[:, 0], data.Y[pos, 0])
    values = set(sub.Y[:, 0].tolist())
    top = set(range(90, 100))  # the 10 best values (Y is a permutation of 0..99)
    if rule == "best":
        assert values == set(range(80, 100))
    elif rule in ("best+random", "best+recent"):
        assert top <= values
    if rule == "best+recent":
        others = [i for i in pos if data.Y[i, 0] < 90]
        latest = np.argsort(data.ids)[::-1]  # positions, latest first
        latest = [i for i in latest if data.Y[i, 0] < 90][:10]
        assert sorted(others) == sorted(latest)
    # the same round draws the same subset; another round's seed another random share
    again = _strategy(20, rule).model_data(data)
    assert [data.space.key(a) for a in again.archs] == keys


def test_best_means_feasible_first():
    feasible = np.zeros(100, dtype=bool)
    feasible[:30] = True
    data = _data(100, seed=1, feasible=feasible)
    sub = _strategy(20, "best").model_data(data)
    assert sub.feasible is not None and sub.feasible.all()  # 30 feasible ones outrank every infeasible one


def test_bad_settings_say_what_is_expected():
    with pytest.raises(UnknownNameError, match="best\\+random"):
        _strategy(20, "top")
    with pytest.raises(InputError, match="max_model_trials"):
        _strategy(-1)
    with pytest.raises(InputError, match="max_model_trials"):
        ab.Optimizer(NB201Space(), "acc", max_model_trials=2.5)


def _bench_values(space, archs):
    return [float(a.ops.count("nor_conv_3x3") + 0.3 * a.ops.count("skip_connect")) for a in archs]


class _Recorder(RandomProposer):
    """A proposer that records the bound it was given and how many results it saw."""

    def fit(self, archs, utilities, weights=None):
        self.seen = (len(archs), self.max_fit_size)


def test_rounds_past_the_bound_fit_a_subset_and_say_so(caplog):
    space = NB201Space()
    opt = ab.Optimizer(space, "acc", surrogate="gp", proposer=_Recorder(space), n_initial=4, pool_size=30,
                       max_model_trials=12, seed=0)
    assert opt.max_model_trials == 12
    archs = space.sample(30, seed=5)
    for a, v in zip(archs, _bench_values(space, archs), strict=True):
        opt.add_evaluated(a, v)
    with caplog.at_level(logging.INFO, logger="agnet_bo.optimizer"):
        opt.ask(2)
    assert opt.surrogate._train_X.shape[0] == 12  # the GP saw 12 of the 30
    assert opt.surrogate.warm_start  # ... starting from its last fit
    assert opt.proposer.seen == (30, 12)  # the proposer sees every result, and the bound
    assert "a subset of 12 (best+random, max_model_trials=12)" in caplog.text


def test_the_default_bound_and_below_it_every_result():
    space = NB201Space()
    opt = ab.Optimizer(space, "acc", n_initial=4, pool_size=30, seed=0)
    assert opt.max_model_trials == DEFAULT_MAX_MODEL_TRIALS
    archs = space.sample(20, seed=5)
    for a, v in zip(archs, _bench_values(space, archs), strict=True):
        opt.add_evaluated(a, v)
    opt.ask(1)
    assert opt.surrogate._train_X.shape[0] == 20 and not opt.surrogate.warm_start


def test_the_bound_and_the_rule_are_saved(tmp_path):
    space = NB201Space()
    opt = ab.Optimizer(space, "acc", n_initial=4, pool_size=30, max_model_trials=50, seed=0)
    opt.strategy.model_subset = "best+recent"
    path = tmp_path / "s.json"
    opt.save(path)
    back = ab.Optimizer.load(path)
    assert back.max_model_trials == 50 and back.strategy.model_subset == "best+recent"
    state = opt.state_dict()
    del state["config"]["max_model_trials"], state["config"]["model_subset"]  # a file from before them
    old = ab.Optimizer.from_state_dict(state)
    assert old.max_model_trials == DEFAULT_MAX_MODEL_TRIALS and old.strategy.model_subset == "best+random"
    state["config"]["model_subset"] = "worst"
    with pytest.raises(StateFileError, match="worst"):
        ab.Optimizer.from_state_dict(state)


def test_a_user_proposer_without_the_attribute_still_works():
    class Plain(Proposer):
        def propose(self, n, seed, exclude=()):
            return RandomProposer(self.space).propose(n, seed, exclude)

    space = NB201Space()
    opt = ab.Optimizer(space, "acc", surrogate="none", proposer=Plain(space), n_initial=2, max_model_trials=3, seed=0)
    for _ in range(6):
        (t,) = opt.ask(1)
        opt.tell(t, 1.0)
    assert len(opt.trials) == 6


def test_a_background_round_proposes_its_pool_once():
    space = NB201Space()
    opt = ab.Optimizer(space, "acc", n_initial=4, pool_size=30, prefetch=4, refit_in_background=True, seed=0)
    archs = space.sample(8, seed=5)
    for a, v in zip(archs, _bench_values(space, archs), strict=True):
        opt.add_evaluated(a, v)
    calls = []
    propose = opt.strategy.propose
    opt.strategy.propose = lambda *a, **k: calls.append(1) or propose(*a, **k)
    opt.ask(1)
    opt._dispatch.wait()
    assert opt.rounds == 1 and len(calls) == 1  # the spares are the rest of the picks' pool
    spares = [a for a in opt._dispatch.spares]
    assert spares and all(opt.find(a) is None for a in spares)
    import copy

    del opt.strategy.propose  # (the counter is a closure)
    # deepcopy goes through __getstate__, the path pickling takes, without loading any bytes
    assert opt.strategy._last_pool is not None and copy.deepcopy(opt.strategy)._last_pool is None


def test_one_round_chooses_its_subset_once():
    data = _data(100, seed=2)
    s = _strategy(20)
    calls = []
    utilities = s.utilities
    s.utilities = lambda d: calls.append(1) or utilities(d)
    first = s.model_data(data)
    assert s.model_data(data) is first and len(calls) == 1  # fit() and pick() share it
    s.max_model_trials = 30
    assert len(s.model_data(data).archs) == 30 and len(calls) == 2  # a new bound is a new subset


# -- what fills the initial design (issue 43) ---------------------------------------------------
def _min_distance(space, archs):
    enc = space.encode(archs).numpy()
    d = np.abs(enc[:, None] - enc[None]).sum(-1)
    return d[np.triu_indices(len(archs), 1)].min()


@pytest.mark.parametrize("kind", ["space-filling", "generator"])
def test_a_chosen_initial_design_is_spread_out_seeded_and_the_same_one_ask_at_a_time(kind):
    space = NB201Space()
    one = ab.Optimizer(space, "acc", initial_design=kind, seed=0, n_initial=12)
    batch = ab.Optimizer(space, "acc", initial_design=kind, seed=0, n_initial=12)
    singles = [one.ask(1)[0].arch for _ in range(12)]
    assert singles == [t.arch for t in batch.ask(12)]
    rand = ab.Optimizer(space, "acc", seed=0, n_initial=12)
    assert _min_distance(space, singles) > _min_distance(space, [t.arch for t in rand.ask(12)])
    other = ab.Optimizer(space, "acc", initial_design=kind, seed=1, n_initial=12)
    assert [t.arch for t in other.ask(12)] != singles


def test_farthest_points_spread_and_stop_at_repeats():
    from agnet_bo.strategy import farthest_points

    space = NB201Space()
    archs = space.sample(200, seed=0)
    idx = farthest_points(space, archs, 10)
    assert idx[0] == 0 and len(set(idx)) == 10
    assert _min_distance(space, [archs[i] for i in idx]) >= _min_distance(space, archs[:10])
    assert farthest_points(space, [archs[0]] * 5, 3) == [0]


def test_a_chosen_design_in_a_small_space_and_after_a_save(tmp_path):
    chain = ab.spaces.DAGSpace.chain(["a", "b", "c"], num_layers=3, name="chain-27")
    opt = ab.Optimizer(chain, "acc", initial_design="space-filling", seed=0, n_initial=5, surrogate="none")
    first = [t.arch for t in opt.ask(2)]
    opt.save(tmp_path / "s.json")
    loaded = ab.Optimizer.load(tmp_path / "s.json")
    assert loaded.strategy.initial_design_kind == "space-filling"
    rest = [t.arch for t in loaded.ask(3)]
    whole = ab.Optimizer(chain, "acc", initial_design="space-filling", seed=0, n_initial=5, surrogate="none")
    assert first + rest == [t.arch for t in whole.ask(5)]
    with pytest.raises(UnknownNameError, match="space-filling"):
        ab.Optimizer(chain, "acc", initial_design="latin")

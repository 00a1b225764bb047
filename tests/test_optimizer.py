import json
import math
import warnings

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo import Optimizer, TrialState
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.optimizer import StateFileError


def agp(space, **settings):
    """AG-Net's proposer with the default's share of single edits and the given settings."""
    from agnet_bo.presets import AGNET_LOCAL_FRACTION
    from agnet_bo.proposers import GeneratorProposer

    return GeneratorProposer(space, **{"local_fraction": AGNET_LOCAL_FRACTION, **settings})


def fast(space, **proposer_settings):
    """Small pools and a generator retrained 2 epochs a round, with the default's share of edits."""
    from agnet_bo.presets import AGNET_LOCAL_FRACTION
    from agnet_bo.proposers import GeneratorProposer

    settings = {"epochs": 2, "local_fraction": AGNET_LOCAL_FRACTION, **proposer_settings}
    return dict(n_initial=4, pool_size=40, proposer=GeneratorProposer(space, **settings))


@pytest.fixture(scope="module")
def space():
    return ab.spaces.NB201Space()


@pytest.fixture(scope="module")
def table():
    return ab.benchmarks.NB201("cifar10")


def _acc(table, arch):
    return table.evaluate(arch, metrics=["valid-accuracy"])["valid-accuracy"]


def _run(opt, table, rounds, q=4):
    for _ in range(rounds):
        for t in opt.ask(q):
            opt.tell(t, {"valid-accuracy": _acc(table, t.arch)})


def test_ask_tell_loop_never_repeats_an_architecture(space, table):
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, **fast(space))
    _run(opt, table, rounds=4)
    pending = opt.ask(3)  # asked, not told: must not be asked again
    more = opt.ask(3)
    keys = [t.key for t in opt.trials]
    assert len(keys) == len(set(keys)) == 22
    assert all(t.state is TrialState.PENDING for t in pending + more)
    assert all(space.is_valid(t.arch) for t in opt.trials)
    assert [t.source for t in opt.trials[:4]] == ["initial"] * 4 and opt.trials[10].source == "proposed"
    best = opt.best_trial
    assert best.values["valid-accuracy"] == max(t.values["valid-accuracy"] for t in opt.trials if t.values)


def test_same_seed_and_history_give_the_same_asks(space, table):
    runs = []
    for _ in range(2):
        opt = Optimizer(space, "valid-accuracy", seed=3, **fast(space))
        _run(opt, table, rounds=3)
        runs.append([t.key for t in opt.ask(4)])
    assert runs[0] == runs[1]
    other = Optimizer(space, "valid-accuracy", seed=4, **fast(space))
    _run(other, table, rounds=3)
    assert [t.key for t in other.ask(4)] != runs[0]


def test_bad_tell_inputs(space):
    opt = Optimizer(space, {"acc": "maximize", "lat": "minimize"}, seed=0, **fast(space))
    t = opt.ask(1)[0]
    with pytest.raises(InputError, match="missing \\['lat'\\]"):
        opt.tell(t, {"acc": 90.0})
    with pytest.raises(InputError, match="unexpected \\['loss'\\]"):
        opt.tell(t, {"acc": 90.0, "lat": 3.0, "loss": 0.1})
    with pytest.raises(InputError, match="single number"):
        opt.tell(t, 90.0)
    with pytest.raises(InputError, match="must be a number"):
        opt.tell(t, {"acc": "high", "lat": 3.0})
    with pytest.raises(InputError, match="Unknown trial 99"):
        opt.tell(99, {"acc": 90.0, "lat": 3.0})
    with pytest.raises(InputError, match="Trial or a trial id"):
        opt.tell("0", {"acc": 90.0, "lat": 3.0})
    with pytest.raises(InputError, match="COMPLETE, PRUNED or FAIL"):
        opt.tell(t, {"acc": 90.0, "lat": 3.0}, state="DONE")
    with pytest.raises(InputError, match="JSON"):
        opt.tell(t, {"acc": 90.0, "lat": 3.0}, info={"model": object()})
    opt.tell(t.id, {"acc": 90.0, "lat": 3.0}, info={"test": 89.5})
    assert t.state is TrialState.COMPLETE and t.info == {"test": 89.5}
    with pytest.raises(InputError, match="already told"):
        opt.tell(t, {"acc": 91.0, "lat": 3.0})


def test_nan_is_a_failure_and_failures_are_not_fitted(space, table):
    opt = Optimizer(space, "valid-accuracy", seed=0, **fast(space))
    trials = opt.ask(6)
    with pytest.warns(UserWarning, match="non-finite"):
        opt.tell(trials[0], float("nan"))
    opt.tell(trials[1], state="FAIL")
    for t in trials[2:]:
        opt.tell(t, _acc(table, t.arch))
    assert trials[0].state is TrialState.FAIL and math.isnan(trials[0].values["valid-accuracy"])
    assert trials[1].state is TrialState.FAIL and trials[1].values is None
    new = opt.ask(2)
    fitted = {space.key(a) for a in opt.surrogate.train_archs_}
    assert fitted == {t.key for t in trials[2:]}
    assert not {t.key for t in new} & {t.key for t in trials}  # failed ones are not asked again


def test_add_evaluated_warm_start(space, table):
    opt = Optimizer(space, "valid-accuracy", seed=0, **fast(space))
    archs = space.sample(5, seed=1)
    for a in archs:
        opt.add_evaluated(a, _acc(table, a), info={"from": "earlier run"})
    assert [t.source for t in opt.trials] == ["user"] * 5
    with pytest.raises(InputError, match="already trial 0"):
        opt.add_evaluated(archs[0], 1.0)
    foreign = ab.Architecture.from_edges(["input", "nor_conv_3x3", "output"], [(0, 1), (1, 2)])
    with pytest.raises(InvalidArchitectureError):
        opt.add_evaluated(foreign, 1.0)
    new = opt.ask(2)  # 5 told results exceed n_initial = 4: the model proposes at once
    assert {t.source for t in new} == {"proposed"}


def test_save_load_continues_exactly(tmp_path, space, table):
    ref = Optimizer(space, "valid-accuracy", seed=7, **fast(space))
    _run(ref, table, rounds=3)
    pend = ref.ask(2)
    path = tmp_path / "run.json"
    ref.save(path)
    loaded = Optimizer.load(path)
    assert [t.key for t in loaded.pending_trials] == [t.key for t in pend]
    for opt in (ref, loaded):
        for t in opt.pending_trials:
            opt.tell(t.id, _acc(table, t.arch))
        _run(opt, table, rounds=1)
    assert [t.key for t in loaded.trials] == [t.key for t in ref.trials]
    assert [t.key for t in loaded.ask(3)] == [t.key for t in ref.ask(3)]


def test_loaded_optimizer_asks_again_before_any_tell(tmp_path, space, table):
    """Saved with trials pending and no result told since the last round: the loaded optimizer
    asks the same next architectures (its surrogate is refitted from the history on demand)."""
    ref = Optimizer(space, "valid-accuracy", seed=11, **fast(space))
    _run(ref, table, rounds=3)
    ref.ask(2)
    path = tmp_path / "run.json"
    ref.save(path)
    loaded = Optimizer.load(path)
    assert [t.key for t in loaded.ask(3)] == [t.key for t in ref.ask(3)]


def test_bad_state_files(tmp_path, space):
    opt = Optimizer(space, "valid-accuracy", seed=0, **fast(space))
    path = tmp_path / "run.json"
    opt.save(path)
    data = json.loads(path.read_text())
    data["version"] = 99
    (tmp_path / "new.json").write_text(json.dumps(data))
    with pytest.raises(StateFileError, match="version 99"):
        Optimizer.load(tmp_path / "new.json")
    (tmp_path / "cut.json").write_text(path.read_text()[:100])
    with pytest.raises(StateFileError, match="Cannot read"):
        Optimizer.load(tmp_path / "cut.json")
    del data["trials"]
    data["version"] = 1
    (tmp_path / "broken.json").write_text(json.dumps(data))
    with pytest.raises(StateFileError, match="corrupted"):
        Optimizer.load(tmp_path / "broken.json")
    with pytest.raises(StateFileError):
        Optimizer.load(tmp_path / "missing.json")
    assert not list(tmp_path.glob("*.tmp"))


def test_multi_objective_front_and_hypervolume(space):
    bench = ab.benchmarks.NB201("cifar10")
    opt = Optimizer(space, {"valid-accuracy": "maximize", "latency-pixel3": "minimize"}, seed=0, **fast(space))
    assert opt.acquisition.name == "parego"
    for _ in range(3):
        for t in opt.ask(4):
            opt.tell(t, bench.evaluate(t.arch, metrics=["valid-accuracy", "latency-pixel3"]))
    front = opt.pareto_front()
    vals = np.array([[t.values["valid-accuracy"], t.values["latency-pixel3"]] for t in opt.trials])
    for t in front:  # nobody dominates a front member
        a, lat = t.values["valid-accuracy"], t.values["latency-pixel3"]
        assert not np.any((vals[:, 0] >= a) & (vals[:, 1] <= lat) & ((vals[:, 0] > a) | (vals[:, 1] < lat)))
    hv = opt.hypervolume({"valid-accuracy": 0.0, "latency-pixel3": 100.0})
    assert hv > 0
    with pytest.raises(InputError, match="pareto_front"):
        _ = opt.best_trial


def test_multi_objective_save_load_continues_exactly(tmp_path, space):
    """The multi-objective default (ParEGO with anchors, pools with edits of the front found)
    resumes as the uninterrupted search would, pending trials included."""
    bench, metrics = ab.benchmarks.NB201("cifar10"), ["valid-accuracy", "latency-pixel3"]
    ref = Optimizer(space, {"valid-accuracy": "maximize", "latency-pixel3": "minimize"}, seed=5, **fast(space))
    assert ref.proposer.local_fraction > 0
    for _ in range(3):
        for t in ref.ask(4):
            ref.tell(t, bench.evaluate(t.arch, metrics=metrics))
    pend = ref.ask(3)
    ref.save(tmp_path / "mo.json")
    loaded = Optimizer.load(tmp_path / "mo.json")
    assert [t.key for t in loaded.pending_trials] == [t.key for t in pend]
    for opt in (ref, loaded):
        for t in opt.pending_trials:
            opt.tell(t.id, bench.evaluate(t.arch, metrics=metrics))
    assert [t.key for t in loaded.ask(4)] == [t.key for t in ref.ask(4)]


def test_constraints_keep_best_trial_feasible(space):
    bench = ab.benchmarks.NB201("cifar10")
    opt = Optimizer(space, "valid-accuracy", constraints={"latency-pixel3": ("<=", 8.0)}, seed=0, **fast(space))
    assert opt.acquisition.name == "qlognei" and opt.metrics == ["valid-accuracy", "latency-pixel3"]
    for _ in range(3):
        for t in opt.ask(4):
            opt.tell(t, bench.evaluate(t.arch, metrics=["valid-accuracy", "latency-pixel3"]))
    feasible = [t for t in opt.trials if t.values["latency-pixel3"] <= 8.0]
    assert feasible, "no feasible trial in 12 (30 % of NB201 cells are feasible)"
    best = max(feasible, key=lambda t: t.values["valid-accuracy"])
    assert opt.best_trial is best


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(objectives={"acc": "max"}), InputError, "maximize"),
        (dict(constraints={"lat": ("<", 5)}), InputError, "constraint"),
        (dict(acquisition="ei"), UnknownNameError, "acquisition"),
        (dict(acquisition="qlognehvi"), InputError, "several objectives"),
        (dict(surrogate="forest"), UnknownNameError, "surrogate"),
        (dict(proposer="bayes"), UnknownNameError, "proposer"),
        (dict(n_initial=0), InputError, "n_initial"),
        (dict(seed=-1), InputError, "seed"),
        (dict(surrogate="paper", proposer="random"), InputError, "paper-mode generator"),
        (dict(kappa=2.0), InputError, r"UCB\(kappa=\.\.\.\)"),
        (dict(acquisition_kwargs={"mc_samples": 8}), InputError, "Acquisition instance"),
        (dict(surrogate_kwargs={"kernel": "rbf"}), InputError, "Surrogate instance"),
        (dict(proposer_kwargs={"epochs": 2}), InputError, "Proposer instance"),
        (dict(lr=0.1), InputError, r"unexpected argument\(s\) \['lr'\]"),
        (dict(acquisition=3), InputError, "Acquisition"),
        (dict(preset="bayes"), UnknownNameError, "preset"),
    ],
)
def test_bad_construction(space, kwargs, err, match):
    with pytest.raises(err, match=match):
        Optimizer(space, **kwargs)


def test_a_misspelt_optimizer_argument_suggests_the_right_one(space):
    with pytest.raises(InputError) as info:
        Optimizer(space, "valid-accuracy", n_init=4)
    assert str(info.value) == "Optimizer got unexpected argument(s) ['n_init']. Did you mean 'n_initial' for 'n_init'?"


def test_the_papers_surrogate_by_name_comes_with_its_paper_mode_generator_and_greedy_picks(space):
    from agnet_bo.acquisition import GreedyMean
    from agnet_bo.surrogates import JointMLPSurrogate

    opt = Optimizer(space, "valid-accuracy", surrogate="paper", seed=0)
    assert isinstance(opt.surrogate, JointMLPSurrogate) and isinstance(opt.acquisition, GreedyMean)
    assert opt.proposer.generator.config.mode == "paper" and opt.surrogate.generator is opt.proposer.generator


def test_paper_preset_runs_a_round(space, table):
    from agnet_bo.acquisition import GreedyMean
    from agnet_bo.surrogates import JointMLPSurrogate

    opt = Optimizer.paper(space, seed=0)
    assert opt.pool_size == 100 and opt.n_initial == 16 and opt.preset == "paper"
    assert isinstance(opt.acquisition, GreedyMean) and isinstance(opt.surrogate, JointMLPSurrogate)
    assert opt.proposer.generator.config.epochs == 30 and opt.proposer.generator.config.mode == "paper"
    for t in opt.ask(16):
        opt.tell(t, _acc(table, t.arch))
    new = opt.ask(16)
    assert len(new) == 16 and {t.source for t in new} == {"proposed"}


def test_ask_validates_q(space):
    opt = Optimizer(space, seed=0, **fast(space))
    with pytest.raises(InputError, match="`q`"):
        opt.ask(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(opt.ask()) == 1


def test_find_add_failed_and_state_dict_round_trip(space, table):
    opt = Optimizer(space, "valid-accuracy", n_initial=4, pool_size=30, seed=0)
    a, b = space.sample(2, seed=5)
    t = opt.add_evaluated(a, table.evaluate(a)["valid-accuracy"])
    f = opt.add_evaluated(b, state="FAIL")
    assert opt.find(a) is t and opt.find(b) is f and f.state.value == "FAIL" and f.values is None
    assert opt.find(space.sample(1, seed=99)[0]) is None
    asked = opt.ask(4)
    assert all(x.key not in {t.key, f.key} for x in asked)  # a failed architecture is never asked
    clone = Optimizer.from_state_dict(opt.state_dict())
    assert [x.to_dict() for x in clone.trials] == [x.to_dict() for x in opt.trials]
    with pytest.raises(StateFileError, match="not an agnet-bo optimizer state"):
        Optimizer.from_state_dict({"format": "other"})


def test_the_default_preset_resolves_names_with_their_measured_settings(space):
    """Tuning policy lives in agnet_bo.presets: names and defaults get the settings measured for
    them there; an instance passes through untouched."""
    from agnet_bo.acquisition import UCB, ParEGO, QLogEHVI, QLogNEI
    from agnet_bo.presets import AGNET_LOCAL_FRACTION, AGNET_RETRAIN_EPOCHS, DEFAULT_ANCHOR_SHARE, DEFAULT_KAPPA
    from agnet_bo.proposers import GeneratorProposer
    from agnet_bo.surrogates import GPSurrogate

    one = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0)
    assert isinstance(one.acquisition, UCB) and one.acquisition.kappa == DEFAULT_KAPPA
    assert one.proposer.local_fraction == AGNET_LOCAL_FRACTION > 0 and not one.surrogate.spelled
    assert one.proposer.generator.config.epochs == AGNET_RETRAIN_EPOCHS and one.n_initial == 16 and one.pool_size == 300
    two = Optimizer(space, {"a": "maximize", "b": "maximize"}, seed=0)
    assert isinstance(two.acquisition, ParEGO) and two.acquisition.anchor_share == DEFAULT_ANCHOR_SHARE == 0.25
    assert two.proposer.local_fraction == AGNET_LOCAL_FRACTION and two.surrogate.spelled  # edits of the front
    ehvi = Optimizer(space, {"a": "maximize", "b": "maximize"}, acquisition="qlogehvi", seed=0)
    assert isinstance(ehvi.acquisition, QLogEHVI) and ehvi.proposer.local_fraction == 0  # measured with ParEGO only
    assert Optimizer(space, "a", surrogate="none", seed=0).proposer.local_fraction == 0  # generator only
    con = Optimizer(space, "a", constraints={"lat": ("<=", 1.0)}, seed=0)
    assert isinstance(con.acquisition, QLogNEI)
    mine = GeneratorProposer(space, epochs=2, local_fraction=0.1)
    acq = ParEGO(anchor_share=0.0)
    gp = GPSurrogate(space, kernel="rbf", seed=1)
    opt = Optimizer(space, {"a": "maximize", "b": "maximize"}, proposer=mine, acquisition=acq, surrogate=gp, seed=0)
    assert opt.proposer is mine and opt.acquisition is acq and opt.surrogate is gp and mine.local_fraction == 0.1


def test_components_are_saved_explicitly_and_rebuilt_as_they_were(space):
    two = Optimizer(space, {"a": "maximize", "b": "maximize"}, seed=0, **fast(space))
    config = two.state_dict()["config"]
    assert config["acquisition"] == {
        "type": "parego", "params": {"anchor_share": 0.25, "weights": "random", "mc_samples": 256, "observation_noise": False}
    }
    assert config["surrogate"]["type"] == "gp" and config["surrogate"]["params"]["spelled"] is True
    assert config["proposer"]["type"] == "agnet" and config["proposer"]["params"]["epochs"] == 2
    assert config["preset"] == "agnet"
    clone = Optimizer.from_state_dict(two.state_dict())
    assert clone.state_dict()["config"] == config
    config["acquisition"]["params"]["anchor_share"] = 0.5  # state_dict returned a copy
    assert two.acquisition.anchor_share == 0.25


def test_kappa_per_pick_and_acquisition_settings_survive_save_and_load(tmp_path, space, table):
    from agnet_bo.acquisition import UCB

    opt = Optimizer(space, "valid-accuracy", acquisition=UCB(kappa=[0.5, 3], mc_samples=64), seed=0, **fast(space))
    assert opt.acquisition.kappa == (0.5, 3.0) and UCB(kappa=[2]).kappa == (2.0,)
    for t in opt.ask(4):
        opt.tell(t, _acc(table, t.arch))
    opt.save(tmp_path / "s.json")
    loaded = Optimizer.load(tmp_path / "s.json")
    assert loaded.acquisition.kappa == (0.5, 3.0) and loaded.acquisition.mc_samples == 64
    assert [t.key for t in loaded.ask(4)] == [t.key for t in opt.ask(4)]


# -- user spaces: small, constrained, structured (issue 24) --------------------------------------
def _chain_values(space, seed):
    """A real-looking objective on a chain: additive per-layer effects plus an interaction."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(size=(space.max_nodes, len(space.ops)))
    out = {}
    for a in space.members():
        codes = [space.ops.index(o) for o in a.ops[1:-1]]
        out[space.key(a)] = float(sum(effect[i, c] for i, c in enumerate(codes)) + 0.3 * np.cos(sum(codes)))
    return out


@pytest.mark.parametrize("n_ops, layers", [(3, 3), (4, 3), (5, 3)])
def test_small_chain_space_runs_to_exhaustion_without_error_or_repeat(n_ops, layers):
    space = ab.spaces.DAGSpace.chain([f"op{i}" for i in range(n_ops)], num_layers=layers)
    values = _chain_values(space, 0)
    opt = Optimizer(space, {"v": "maximize"}, seed=0, proposer=agp(space, epochs=2))
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ab.exceptions.SpaceExhaustedWarning)
        while len(seen) + 16 <= space.size:
            for t in opt.ask(16):
                seen.append(t.key)
                opt.tell(t, values[t.key])
    left = space.size - len(seen)
    if left:
        with pytest.warns(ab.exceptions.SpaceExhaustedWarning, match=f"only {left} new ones"):
            last = opt.ask(16)
        assert len(last) == left
        for t in last:
            seen.append(t.key)
            opt.tell(t, values[t.key])
    assert len(seen) == len(set(seen)) == space.size
    with pytest.raises(ab.exceptions.SamplingError, match=f"Every one of the {space.size} architectures"):
        opt.ask(1)
    assert opt.best_trial.values["v"] == max(values.values())


def test_small_space_default_finds_the_optimum_early():
    space = ab.spaces.DAGSpace.chain(["a", "b", "c", "d"], num_layers=3)  # 64 cells
    values = _chain_values(space, 1)
    best = max(values.values())
    opt = Optimizer(space, {"v": "maximize"}, seed=1, proposer=agp(space, epochs=2))
    while opt.best_trial.values["v"] < best if opt.trials else True:
        (t,) = opt.ask()
        opt.tell(t, values[t.key])
    assert opt.n_initial == 6  # a tenth of a small space is random, not 16
    assert len(opt.trials) <= space.size // 4


def test_objectives_need_directions():
    space = ab.spaces.DAGSpace.chain(["a", "b"], num_layers=2)
    with pytest.raises(InputError, match=r'objectives=\{"acc": "maximize", "params": "maximize"\}'):
        Optimizer(space, ["acc", "params"])
    with pytest.raises(InputError, match='"params": "minimize"'):
        Optimizer(space, "params")


def test_custom_space_pretrains_once_and_load_never_pretrains(tmp_path, monkeypatch):
    from agnet_bo.generator import Generator

    space = ab.spaces.DAGSpace(["a", "b", "c"], num_nodes=(3, 6), in_degree=(1, 2), output_reads="leaves")
    calls = []
    real = Generator.pretrain

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Generator, "pretrain", counting)
    def kw():
        return dict(proposer=agp(space, epochs=2, pretrain_samples=200, cache_dir=str(tmp_path / "cache")))

    opt = Optimizer(space, {"v": "maximize"}, seed=0, **kw())
    assert calls == [1]
    Optimizer(space, {"v": "maximize"}, seed=0, **kw())  # same space, same settings: from the cache
    assert calls == [1]
    rng = np.random.default_rng(0)
    for _ in range(2):
        for t in opt.ask(4):
            opt.tell(t, float(rng.random()))
    opt.save(tmp_path / "run.json")
    monkeypatch.setattr(Generator, "pretrain", lambda *a, **k: pytest.fail("load pretrained a generator"))
    monkeypatch.setattr(Generator, "for_space", lambda *a, **k: pytest.fail("load looked for a pretrained generator"))
    again = Optimizer.load(tmp_path / "run.json")
    assert [t.key for t in again.ask(4)] == [t.key for t in opt.ask(4)]


def test_user_generator_is_an_argument_and_survives_save_and_load(tmp_path):
    from agnet_bo.generator import Generator

    space = ab.spaces.DAGSpace(["a", "b"], num_nodes=(3, 5))
    gen = Generator(space, seed=3, hidden_dim=16, epochs=2)
    gen.pretrain(n_samples=100, epochs=1, progress=False)
    opt = Optimizer(space, {"v": "maximize"}, seed=0, generator=gen)
    assert opt.proposer.generator is gen
    rng = np.random.default_rng(0)
    for _ in range(2):
        for t in opt.ask(4):
            opt.tell(t, float(rng.random()))
    opt.save(tmp_path / "run.json")
    again = Optimizer.load(tmp_path / "run.json")
    assert again.proposer.generator.config.hidden_dim == 16
    assert [t.key for t in again.ask(3)] == [t.key for t in opt.ask(3)]


def test_objects_in_kwargs_are_refused_up_front_and_a_failed_save_leaves_nothing(tmp_path):
    from agnet_bo.generator import Generator

    space = ab.spaces.DAGSpace.chain(["a", "b"], num_layers=2)
    gen = Generator(space, seed=0)
    with pytest.raises(InputError, match="untrained"):
        Optimizer(space, {"v": "maximize"}, generator=gen)
    with pytest.raises(InputError, match="Proposer instance"):
        Optimizer(space, {"v": "maximize"}, proposer_kwargs={"generator": gen})
    opt = Optimizer(space, {"v": "maximize"}, seed=0, proposer="random", surrogate="none")
    opt.state_dict = lambda: {"x": object()}  # a state that cannot be written
    with pytest.raises(TypeError):
        opt.save(tmp_path / "run.json")
    assert list(tmp_path.iterdir()) == []


def test_candidate_list_search_picks_from_the_list_only():
    base = ab.spaces.NB201Space()
    table = ab.benchmarks.NB201("cifar10")
    zoo = base.sample(120, seed=5)
    space = ab.spaces.CandidateSpace(zoo, base=base, name="zoo")
    keys = {base.key(a) for a in zoo}
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, pool_size=50, proposer=agp(space, epochs=2))
    asked = []
    for _ in range(4):
        for t in opt.ask(8):
            asked.append(t.key)
            opt.tell(t, _acc(table, t.arch))
    assert set(asked) <= keys and len(asked) == len(set(asked)) == 32
    assert opt.proposer.generator.last_sample_stats.draws == 0  # drawn from the list, not by rejection


def test_constrained_space_pretrains_on_what_it_finds_and_searches():
    # 1 in 64 random graphs passes and only a few hundred distinct cells exist: 5000 pretraining
    # samples were out of reach, which used to stop the optimizer from being built
    space = ab.spaces.DAGSpace(["a", "b", "c", "d"], num_nodes=5, constraint=lambda arch: set(arch.ops[1:-1]) == {"a"})
    with pytest.warns(ab.exceptions.PretrainingWarning, match="instead of 5000"):
        opt = Optimizer(space, {"v": "maximize"}, seed=0, proposer=agp(space, epochs=2, pretrain_epochs=1, cache_dir=False))
    rng = np.random.default_rng(0)
    keys = []
    for _ in range(3):
        for t in opt.ask(8):
            assert space.is_valid(t.arch)
            keys.append(t.key)
            opt.tell(t, float(rng.random()))
    assert len(set(keys)) == 24


def test_candidate_list_runs_to_exhaustion():
    base = ab.spaces.NB201Space()
    table = ab.benchmarks.NB201("cifar10")
    space = ab.spaces.CandidateSpace(base.sample(30, seed=7), base=base)
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, proposer=agp(space, epochs=2))
    asked = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ab.exceptions.SpaceExhaustedWarning)
        while len(asked) < 30:
            for t in opt.ask(8):
                asked.append(t.key)
                opt.tell(t, _acc(table, t.arch))
    assert sorted(asked) == sorted(base.key(a) for a in space.members())
    with pytest.raises(ab.exceptions.SamplingError, match="Every one of the 30"):
        opt.ask()


def test_default_optimizer_builds_on_a_tree_space_and_fails_fast_on_an_impossible_constraint(monkeypatch):
    import time

    from agnet_bo.generator import Generator

    seen = []
    monkeypatch.setattr(Generator, "pretrain", lambda self, *a, archs=None, **k: seen.append(len(archs)) or {})
    trees = ab.spaces.DAGSpace(["a", "b", "c", "d", "e"], num_nodes=7, in_degree=1, output_reads="leaves")
    Optimizer(trees, {"v": "maximize"}, proposer=agp(trees, cache_dir=False))
    assert seen == [5000]  # the default pretraining sample, drawn by construction (a constraint gave 1832 in 2.5M draws)
    small = ab.spaces.DAGSpace(["a", "b", "c", "d", "e"], num_nodes=6, in_degree=1, output_reads="leaves")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ab.exceptions.PretrainingWarning)
        Optimizer(small, {"v": "maximize"}, proposer=agp(small, cache_dir=False))
    assert seen[1] == small.size == 3570  # a smaller space (listed): pretrained on all of it

    def nothing_passes(arch):
        return False

    start = time.perf_counter()
    with pytest.raises(ab.exceptions.SamplingError, match="nothing_passes"):
        Optimizer(ab.spaces.DAGSpace(["a", "b", "c"], num_nodes=(3, 8), constraint=nothing_passes), {"v": "maximize"})
    assert time.perf_counter() - start < 30  # was 156 s


def test_enqueued_architectures_are_asked_first_once_and_survive_save_and_load(tmp_path, space, table):
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, **fast(space))
    first = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    second, third = space.sample(2, seed=11)
    assert opt.enqueue([first, second]) == 2
    with pytest.warns(UserWarning, match="already queued"):
        assert opt.enqueue(first) == 0
    with pytest.raises(InvalidArchitectureError):
        opt.enqueue(ab.Architecture(["input", "conv", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]]))
    with pytest.raises(InputError, match="item 0"):
        opt.enqueue(["not an architecture"])
    (t0,) = opt.ask(1)
    assert t0.arch == first and t0.source == "enqueued"
    opt.tell(t0, _acc(table, t0.arch))
    opt.enqueue(third)
    opt.save(tmp_path / "run.json")
    again = Optimizer.load(tmp_path / "run.json")
    assert again.queued == [second, third]
    batch = again.ask(4)
    assert [t.arch for t in batch[:2]] == [second, third] and [t.source for t in batch] == ["enqueued"] * 2 + ["initial"] * 2
    with pytest.warns(UserWarning, match="trial 0"):
        assert again.enqueue(first) == 0  # asked already: never twice
    assert again.queued == []


def test_history_exports_as_records_csv_jsonl_and_dataframe(tmp_path, space, table):
    import csv

    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, **fast(space))
    trials = opt.ask(3)
    opt.tell(trials[0], _acc(table, trials[0].arch), info={"test-accuracy": 90.0})
    opt.tell(trials[1], state="FAIL")
    rows = opt.records()
    assert [r["state"] for r in rows] == ["COMPLETE", "FAIL", "PENDING"]
    assert rows[0]["arch"] == space.to_string(trials[0].arch)  # readable, the space's own form
    assert rows[0]["value:valid-accuracy"] == _acc(table, trials[0].arch) and rows[2]["value:valid-accuracy"] is None
    assert rows[0]["info:test-accuracy"] == 90.0 and rows[1]["info:test-accuracy"] is None
    opt.export(tmp_path / "t.csv")
    with open(tmp_path / "t.csv") as fh:
        read = list(csv.DictReader(fh))
    assert [r["id"] for r in read] == ["0", "1", "2"] and float(read[0]["value:valid-accuracy"]) == rows[0]["value:valid-accuracy"]
    opt.export(tmp_path / "t.jsonl")
    assert [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()] == rows
    with pytest.raises(InputError, match=r"\.csv or \.jsonl"):
        opt.export(tmp_path / "t.xlsx")
    pd = pytest.importorskip("pandas")
    df = opt.trials_dataframe()
    assert isinstance(df, pd.DataFrame) and list(df["state"]) == ["COMPLETE", "FAIL", "PENDING"]
    chain = ab.spaces.DAGSpace.chain(["a", "b"], num_layers=2)
    other = Optimizer(chain, {"v": "maximize"}, proposer="random", surrogate="none")
    other.ask()
    assert other.records()[0]["arch"].endswith("| 0->1,1->2,2->3")  # no string form: ops and edges


def test_callbacks_after_each_tell_and_round(space, table):
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, **fast(space))
    told, rounds = [], []
    opt.add_callback(lambda o, t: told.append((t.id, t.state.value, o is opt)))
    opt.add_callback(lambda o: rounds.append(o.rounds), when="round")
    _run(opt, table, rounds=3, q=4)  # 4 initial, then two model rounds
    assert told == [(i, "COMPLETE", True) for i in range(12)]
    assert rounds == [1, 2]

    def boom(o, t):
        raise RuntimeError("callback failed")

    opt.add_callback(boom)
    (t,) = opt.ask(1)
    with pytest.raises(RuntimeError, match="callback failed"):
        opt.tell(t, _acc(table, t.arch))
    assert opt.trials[t.id].state is TrialState.COMPLETE  # what was told is kept
    with pytest.raises(InputError, match="callable"):
        opt.add_callback("print")
    with pytest.raises(InputError, match='"tell" or "round"'):
        opt.add_callback(print, when="ask")


def test_optimize_runs_the_loop_catches_failures_and_logs_rounds(space, table, caplog, capsys):
    import logging

    calls = []

    def objective(arch):
        calls.append(arch)
        if len(calls) == 3:
            raise RuntimeError("out of memory")
        return {"valid-accuracy": _acc(table, arch)}, {"epochs": 1}

    opt = Optimizer(space, "valid-accuracy", seed=0, **fast(space))
    with caplog.at_level(logging.INFO, logger="agnet_bo.optimizer"):
        done = opt.optimize(objective, n_trials=10, batch_size=4, catch=(RuntimeError,))
    assert len(done) == 10 == len(opt.trials) and len({t.key for t in done}) == 10
    assert done[2].state is TrialState.FAIL and "out of memory" in done[2].info["error"]
    assert all(t.state is TrialState.COMPLETE and t.info == {"epochs": 1} for t in done if t.id != 2)
    rounds = [r.getMessage() for r in caplog.records if r.name == "agnet_bo.optimizer"]
    assert any("refitted on" in m for m in rounds) and any("picked" in m for m in rounds)
    assert capsys.readouterr().err == ""  # nothing printed by default
    opt.optimize(lambda a: _acc(table, a), n_trials=2, show_progress_bar=True)
    assert "agnet-bo" in capsys.readouterr().err and len(opt.trials) == 12
    with pytest.raises(ZeroDivisionError):  # not caught: the loop stops, the trial stays pending
        opt.optimize(lambda a: 1 / 0, n_trials=1)
    assert opt.trials[-1].state is TrialState.PENDING
    with pytest.raises(InputError, match="n_trials"):
        opt.optimize(objective, n_trials=0)


def test_optimize_stops_when_a_finite_space_is_exhausted():
    chain = ab.spaces.DAGSpace.chain(["a", "b"], num_layers=2)  # 4 architectures
    opt = Optimizer(chain, "v", proposer="random", surrogate="none", seed=0)
    done = opt.optimize(lambda a: float(a.ops.count("a")), n_trials=10, batch_size=3)
    assert len(done) == 4 and opt.best_trial.values["v"] == 2.0


def test_many_workers_reuse_a_rounds_models_and_picks_until_enough_is_told(tmp_path, space, table):
    """prefetch hands out one round's picks ask by ask; refit_every waits for that many results.
    Both survive save and load, and the defaults keep a round per ask."""
    opt = Optimizer(space, "valid-accuracy", seed=0, refit_every=4, prefetch=8, **fast(space))
    for t in opt.ask(4):
        opt.tell(t, _acc(table, t.arch))
    rounds = []
    opt.add_callback(lambda o: rounds.append(len(o.trials)), when="round")
    first = opt.ask(1)  # a round: 8 picks, one handed out
    assert len(rounds) == 1 and len(opt._dispatch.reserve) == 7
    reserve = [opt.space.key(a) for a in opt._dispatch.reserve]
    asked = [t.key for t in opt.ask(1) + opt.ask(2)]  # from the reserve: no new round
    assert len(rounds) == 1 and asked == reserve[:3]
    for t in first + [opt.trials[-1]]:
        opt.tell(t, _acc(table, t.arch))  # 2 results told: fewer than refit_every
    opt.save(tmp_path / "s.json")
    again = Optimizer.load(tmp_path / "s.json")
    assert [t.key for t in opt.ask(2)] == [t.key for t in again.ask(2)] == reserve[3:5]
    assert len(rounds) == 1
    for t in opt.pending_trials[:2]:
        opt.tell(t, _acc(table, t.arch))  # 4 told: the models are refitted at the next ask
    opt.ask(1)
    assert len(rounds) == 2 and len(opt._dispatch.reserve) == 7
    with pytest.raises(InputError, match="refit_every"):
        Optimizer(space, "v", refit_every=0)
    default = Optimizer(space, "valid-accuracy", seed=0, **fast(space))
    for t in default.ask(4):
        default.tell(t, _acc(table, t.arch))
    default.ask(1)
    assert default._dispatch.reserve == [] and default.refit_every == 1


def test_a_misspelt_metric_in_tell_suggests_the_expected_name(space):
    opt = Optimizer(space, {"valid-accuracy": "maximize"}, proposer="random", surrogate="none", seed=0)
    (t,) = opt.ask(1)
    with pytest.raises(InputError, match=r"Did you mean 'valid_accuracy' -> 'valid-accuracy'\?"):
        opt.tell(t, {"valid_accuracy": 90.0})
    assert opt.tell(t, {"valid-accuracy": 90.0}).state is TrialState.COMPLETE  # nothing was lost


# -- refits in the background ------------------------------------------------------------------------
def _background_opt(**kw):
    return ab.Optimizer(
        ab.spaces.NB201Space(), "valid-accuracy", n_initial=4, pool_size=40, seed=0,
        prefetch=6, refit_in_background=True, **kw,
    )


def _tell_nb201(opt, trial):
    return opt.tell(trial, NB201_BENCH.evaluate(trial.arch, ["valid-accuracy"]))


NB201_BENCH = ab.benchmarks.NB201("cifar10")


def _first_round_in_background(opt):
    """4 results told, then the first model round: it runs in the background while the asker
    gets more of the initial design; returns that trial once the round is done."""
    for t in opt.ask(4):
        _tell_nb201(opt, t)
    first = opt.ask(1)[0]
    assert first.source == "initial" and opt._dispatch.job is not None  # nobody waits for a round
    opt._dispatch.job.join()
    assert opt.rounds == 1 and len(opt._dispatch.reserve) == 6 and len(opt._dispatch.spares) >= 30
    return first


def test_refit_in_background_serves_the_last_picks_then_the_refitted_ones():
    opt = _background_opt()
    first = _first_round_in_background(opt)
    stale = list(opt._dispatch.reserve)
    _tell_nb201(opt, first)
    second = opt.ask(1)[0]  # the refit starts in the background; a kept pick is handed out
    assert second.arch == stale[0] and second.round == 1 and second.source == "proposed"
    assert opt._dispatch.job is not None
    opt._dispatch.job.join()
    third = opt.ask(1)[0]  # the refitted round's picks replace the stale ones
    assert third.round == 2 and third.arch not in stale[1:]
    assert opt._dispatch.job is None and not opt._dispatch.dirty
    keys = [t.key for t in opt.trials]
    assert len(keys) == len(set(keys))


def test_refit_in_background_never_waits_and_saves_consistently(tmp_path):
    opt = _background_opt()
    first = _first_round_in_background(opt)
    batch = opt.ask(6)  # takes every pick of the round
    assert opt._dispatch.reserve == [] and [t.source for t in batch] == ["proposed"] * 6
    _tell_nb201(opt, first)
    nxt = opt.ask(1)[0]  # no pick left: a refit starts in the background, the asker gets the best spare
    assert nxt.source == "spare" and nxt.round == 1
    opt.save(tmp_path / "opt.json")  # waits for the refit
    assert opt._dispatch.job is None
    back = ab.Optimizer.load(tmp_path / "opt.json")
    assert back.refit_in_background and back.prefetch == 6 and len(back.trials) == len(opt.trials)
    assert [t.source for t in back.trials] == [t.source for t in opt.trials]


def test_a_failed_background_refit_reaches_the_asker_and_loses_nothing(monkeypatch):
    opt = _background_opt()
    _tell_nb201(opt, _first_round_in_background(opt))
    calls = []

    def broken(archs, Y):
        calls.append(len(archs))
        raise RuntimeError("fit exploded")

    monkeypatch.setattr(opt.surrogate, "fit", broken)
    opt.ask(1)  # starts the (failing) background refit, serves a stale pick
    opt._dispatch.job.join()
    queued = ab.spaces.NB201Space().sample(1, seed=123)[0]
    opt.enqueue(queued)
    n = len(opt.trials)
    with pytest.raises(RuntimeError, match="fit exploded"):
        opt.ask(2)  # the failure reaches the next asker
    assert len(opt.trials) == n and opt.queued == [queued] and opt._dispatch.dirty
    monkeypatch.undo()
    got = opt.ask(1)[0]
    assert got.arch == queued and calls == [5]  # the failing fit saw the 5 results told


def test_refit_in_background_hands_out_the_rest_of_the_pool_instead_of_waiting(monkeypatch):
    import threading

    opt = _background_opt()
    first = _first_round_in_background(opt)
    spares = list(opt._dispatch.spares)
    _tell_nb201(opt, first)
    gate = threading.Event()
    real_fit = opt.strategy.fit
    monkeypatch.setattr(opt.strategy, "fit", lambda models, data: (gate.wait(60), real_fit(models, data)))
    kept = opt.ask(6)  # starts the refit (held at the gate) and takes the 6 kept picks
    more = opt.ask(3)  # no pick left and the refit still running: spares, at once
    assert [t.source for t in kept] == ["proposed"] * 6 and opt._dispatch.job.is_alive()
    assert [t.source for t in more] == ["spare"] * 3 and [t.arch for t in more] == spares[:3]
    gate.set()
    opt._dispatch.job.join()
    assert opt.ask(1)[0].source == "proposed" and opt.rounds == 2
    keys = [t.key for t in opt.trials]
    assert len(keys) == len(set(keys))


def test_refit_in_background_needs_prefetch():
    with pytest.raises(InputError, match="prefetch"):
        ab.Optimizer(ab.spaces.NB201Space(), "valid-accuracy", refit_in_background=True)
    with pytest.raises(InputError, match="refit_in_background"):
        ab.Optimizer(ab.spaces.NB201Space(), "valid-accuracy", refit_in_background="yes", prefetch=4)


def test_a_program_may_exit_while_a_refit_runs_in_the_background(tmp_path):
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "exit_early.py"
    script.write_text(textwrap.dedent("""
        import agnet_bo as ab
        bench = ab.benchmarks.NB201("cifar10")
        opt = ab.Optimizer(ab.spaces.NB201Space(), "valid-accuracy", n_initial=4, pool_size=40, seed=0,
                           prefetch=6, refit_in_background=True)
        for t in opt.ask(4):
            opt.tell(t, bench.evaluate(t.arch, ["valid-accuracy"]))
        t = opt.ask(1)[0]
        opt.tell(t, bench.evaluate(t.arch, ["valid-accuracy"]))
        opt.ask(1)
        assert opt._dispatch.job is not None and opt._dispatch.job.is_alive()
        print("exiting")
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "exiting" in proc.stdout


def test_acquisition_context_counts_every_trial_asked(space, table):
    """``AcquisitionContext.n_asked`` is the pick's place in the search: per-pick settings cycle in a
    one-ask-one-tell loop, and in batches, enqueued and pending trials count too."""
    seen = []

    class Recording(ab.acquisition.Acquisition):
        name = "recording"

        def select(self, surrogate, pool, q, context):
            seen.append((context.n_asked, len(context.pending), q))
            return list(range(q))

    opt = Optimizer(space, "valid-accuracy", acquisition=Recording(), surrogate="gp", proposer="random", n_initial=3, seed=0)
    for _ in range(6):  # one at a time, told before the next ask
        t = opt.ask()[0]
        opt.tell(t, _acc(table, t.arch))
    assert seen == [(3, 0, 1), (4, 0, 1), (5, 0, 1)]
    opt.enqueue(space.sample(1, seed=99)[0])
    held = opt.ask(3)  # the enqueued one first, then two picks after it
    assert seen[-1] == (7, 0, 2) and len(held) == 3
    opt.ask()  # three pending
    assert seen[-1] == (9, 3, 1)


def test_trials_dataframe_without_pandas_says_which_extra(monkeypatch, space):
    import re
    import sys
    from pathlib import Path

    opt = Optimizer(space, {"valid-accuracy": "maximize"}, seed=0, **fast(space))
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"agnet-bo\[pandas\]"):
        opt.trials_dataframe()
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()  # (tomllib is 3.11+)
    for extra in ("pandas", "optuna", "test"):  # trials_dataframe() and Optuna's study.trials_dataframe()
        line = re.search(rf"^{extra} = \[(.*)\]", text, re.M)
        assert line is not None and '"pandas' in line.group(1), extra


def test_results_that_all_break_a_constraint_are_said_once_and_in_the_error(space):
    from agnet_bo.exceptions import InfeasibleWarning

    opt = Optimizer(space, {"acc": "maximize"}, constraints={"latency": ("<=", 5.0)}, surrogate="none",
                    proposer="random", seed=0)
    with pytest.raises(InputError, match="No complete trial yet"):
        _ = opt.best_trial
    archs = space.sample(12, seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, a in enumerate(archs[:10]):
            opt.add_evaluated(a, {"acc": 90.0 + i, "latency": 6.0 + i})  # latency in ms: every one too slow
    said = [w for w in caught if issubclass(w.category, InfeasibleWarning)]
    assert len(said) == 1 and "8 complete results" in str(said[0].message) and "latency" in str(said[0].message)
    with pytest.raises(InputError, match=r"None of the 10 complete trials meets the constraints: latency <= 5 \(closest told: 6\)"):
        _ = opt.best_trial
    assert opt.pareto_front() == [] and opt.hypervolume() == 0.0
    opt.add_evaluated(archs[10], {"acc": 80.0, "latency": 4.0})
    assert opt.best_trial.values["acc"] == 80.0


def test_no_infeasible_warning_once_a_result_is_feasible_even_after_a_load(space, tmp_path):
    from agnet_bo.exceptions import InfeasibleWarning

    opt = Optimizer(space, {"acc": "maximize"}, constraints={"latency": ("<=", 5.0)}, surrogate="none",
                    proposer="random", seed=0)
    archs = space.sample(12, seed=4)
    opt.add_evaluated(archs[0], {"acc": 1.0, "latency": 1.0})
    opt.save(tmp_path / "s.json")
    back = Optimizer.load(tmp_path / "s.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfeasibleWarning)
        for a in archs[1:]:
            back.add_evaluated(a, {"acc": 2.0, "latency": 9.0})
    assert len(back.trials) == 12

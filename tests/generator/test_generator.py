import numpy as np
import pytest
import torch

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, NotFittedError, SamplingError
from agnet_bo.generator import Generator, GeneratorConfig, rank_weights
from agnet_bo.spaces import CandidateSpace, DAGSpace, DARTSSpace, NB101Space, NB201Space


@pytest.fixture(scope="module")
def nb201_gen():
    gen = Generator(NB201Space(), seed=0)
    gen.pretrain(n_samples=512, epochs=2, progress=False)
    return gen


def test_untrained_generator_refuses_to_sample():
    gen = Generator(DAGSpace(ops=["a", "b"], num_nodes=(3, 5)))
    assert not gen.is_trained
    with pytest.raises(NotFittedError, match="pretrain"):
        gen.sample(3)
    with pytest.raises(NotFittedError):
        gen.log_likelihood([])


def test_samples_are_valid_distinct_and_reproducible(nb201_gen):
    space = nb201_gen.space
    a = nb201_gen.sample(50, seed=1)
    assert len(a) == 50 and len({space.key(x) for x in a}) == 50
    assert all(space.is_valid(x) for x in a)
    assert nb201_gen.last_sample_stats.invalid == 0  # valid by construction
    assert nb201_gen.sample(50, seed=1) == a
    assert nb201_gen.sample(50, seed=2) != a


def test_sampling_does_not_depend_on_batch_size(nb201_gen):
    ref = nb201_gen.sample(64, seed=5)
    for bs in (1, 7, 64):
        assert nb201_gen.sample(64, seed=5, batch_size=bs) == ref
    # and a longer request starts with the shorter one
    assert nb201_gen.sample(80, seed=5)[:64] == ref


def test_exclude_skips_keys(nb201_gen):
    space = nb201_gen.space
    first = nb201_gen.sample(10, seed=3)
    keys = {space.key(x) for x in first}
    again = nb201_gen.sample(10, seed=3, exclude=keys)
    assert not keys & {space.key(x) for x in again}
    assert nb201_gen.last_sample_stats.excluded >= 10


def test_darts_samples_are_valid_by_construction():
    space = DARTSSpace()
    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=64, epochs=1, progress=False)
    archs = gen.sample(20, seed=0)
    assert gen.last_sample_stats.invalid == 0
    assert all(space.is_valid(a) for a in archs)


def test_nb101_rejects_invalid_and_returns_pruned_cells():
    space = NB101Space()
    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=300, epochs=2, progress=False)
    archs = gen.sample(30, seed=0)
    assert all(space.is_valid(a) and space.prune(a) == a for a in archs)
    stats = gen.last_sample_stats
    assert stats.draws >= 30 and 0.0 < stats.validity <= 1.0


def test_user_space_with_a_constraint_needs_no_specific_code():
    space = DAGSpace(
        ops=["conv", "pool", "skip"], num_nodes=(3, 6), max_edges=7, constraint=lambda a: a.ops.count("pool") <= 1
    )
    gen = Generator(space, seed=1)
    gen.pretrain(n_samples=200, epochs=2, progress=False)
    archs = gen.sample(10, seed=0)
    assert all(space.is_valid(a) and a.ops.count("pool") <= 1 for a in archs)
    values = [a.ops.count("conv") for a in archs]
    gen.update(archs, values, epochs=2)
    assert len(gen.sample(5, seed=1)) == 5


def test_update_concentrates_on_good_architectures():
    space = NB201Space()
    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=512, epochs=2, progress=False)
    archs = space.sample(64, seed=0)
    # a synthetic objective: number of nor_conv_3x3 operations
    values = np.array([a.ops.count("nor_conv_3x3") for a in archs], dtype=float)
    before = np.mean([a.ops.count("nor_conv_3x3") for a in gen.sample(200, seed=9)])
    gen.update(archs, values, epochs=20, seed=0)
    after = np.mean([a.ops.count("nor_conv_3x3") for a in gen.sample(200, seed=9)])
    assert after > before + 0.5


def test_update_is_reproducible():
    space = NB201Space()
    archs = space.sample(32, seed=0)
    values = np.arange(32.0)
    samples = []
    for _ in range(2):
        gen = Generator(space, seed=4)
        gen.pretrain(n_samples=128, epochs=1, progress=False)
        gen.update(archs, values, epochs=3)
        samples.append(gen.sample(10, seed=0))
    assert samples[0] == samples[1]


def test_bad_update_arguments(nb201_gen):
    space = nb201_gen.space
    archs = space.sample(4, seed=0)
    with pytest.raises(InputError, match="4 architectures but 3 values"):
        nb201_gen.update(archs, [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="NaN"):
        nb201_gen.update(archs, [1.0, float("nan"), 3.0, 4.0])
    with pytest.raises(InputError, match="at least one"):
        nb201_gen.update([], [])
    with pytest.raises(InputError, match="weights"):
        nb201_gen.update(archs, weights=[1.0, -1.0, 0.0, 0.0])
    with pytest.raises(InputError, match="values"):
        nb201_gen.update(archs)
    foreign = Architecture.from_edges(["input", "nor_conv_3x3", "output"], [(0, 1), (1, 2)])
    with pytest.raises(InvalidArchitectureError, match=r"archs\[0\]"):
        nb201_gen.update([foreign], [1.0])
    with pytest.raises(InputError, match="Architecture"):
        nb201_gen.update(["|none~0|"], [1.0])
    with pytest.raises(InputError, match="`n`"):
        nb201_gen.sample(-1)
    with pytest.raises(InputError, match="`seed`"):
        nb201_gen.sample(1, seed=-3)


def test_state_round_trip(tmp_path, nb201_gen):
    path = tmp_path / "gen.pt"
    nb201_gen.save(path)
    loaded = Generator.load(path, NB201Space())
    assert loaded.sample(20, seed=11) == nb201_gen.sample(20, seed=11)
    state = torch.load(path, weights_only=True)  # no pickled code in the file
    assert state["format"].startswith("agnet_bo.generator")
    other = Generator(DAGSpace(ops=["a"], num_nodes=3))
    with pytest.raises(InputError, match="saved for NB201Space"):
        other.load_state_dict(state)
    with pytest.raises(InputError, match="hidden_dim"):
        Generator(NB201Space(), hidden_dim=16).load_state_dict(state)
    tuned = Generator.load(path, NB201Space(), epochs=3, rank_k=0.1)
    assert tuned.config.epochs == 3 and tuned.sample(5, seed=11) == nb201_gen.sample(5, seed=11)
    with pytest.raises(InputError, match="cannot be overridden"):
        Generator.load(path, NB201Space(), mode="paper")
    with pytest.raises(InputError, match="Not an agnet-bo generator state"):
        other.load_state_dict({"model": {}})


def test_paper_mode_trains_its_joint_surrogate():
    space = NB201Space()
    gen = Generator(space, seed=0, mode="paper")
    gen.pretrain(n_samples=128, epochs=1, progress=False)
    archs = space.sample(48, seed=2)
    values = np.array([a.ops.count("nor_conv_3x3") + 0.5 * a.ops.count("skip_connect") for a in archs])
    with pytest.raises(InputError, match="needs `values`"):
        gen.update(archs, weights=np.ones(48))
    gen.update(archs, values, epochs=30, seed=0)
    pred = gen.predict(archs).numpy()
    assert pred.shape == (48,)
    assert np.corrcoef(pred, values)[0, 1] > 0.5
    assert all(space.is_valid(a) for a in gen.sample(10, seed=0))
    with pytest.raises(InputError, match="autoregressive"):
        Generator(space).predict(archs)


def test_rank_weights():
    w = rank_weights([3.0, 1.0, 2.0], k=0.01)
    assert w.argmax() == 0 and w.argmin() == 1 and abs(w.sum() - 1) < 1e-12
    # k sets the sharpness: w_best / w_worst = (kN + N - 1) / (kN)
    w = rank_weights(np.arange(100.0), k=0.01)
    assert abs(w[-1] / w[0] - 100.0) < 1e-9
    with pytest.raises(InputError):
        rank_weights([])
    with pytest.raises(InputError):
        rank_weights([1.0, float("inf")])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mode="vae"), "mode"),
        (dict(hidden_dim=0), "hidden_dim"),
        (dict(alpha=1.0), "alpha"),
        (dict(rank_k=0.0), "rank_k"),
        (dict(lr=-1.0), "lr"),
        (dict(label_smoothing=0.7), "label_smoothing"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(InputError, match=match):
        GeneratorConfig(**kwargs)
    with pytest.raises(InputError, match="Unknown GeneratorConfig"):
        GeneratorConfig.from_dict({"depth": 3})


def test_generation_does_not_touch_global_rng(nb201_gen):
    torch.manual_seed(123)
    np.random.seed(123)
    expected_t, expected_n = torch.rand(1), np.random.rand()
    torch.manual_seed(123)
    np.random.seed(123)
    Generator(NB201Space(), seed=7).pretrain(n_samples=32, epochs=1, progress=False)
    nb201_gen.sample(5, seed=0)
    assert torch.rand(1) == expected_t and np.random.rand() == expected_n


def test_sampling_error_when_space_is_exhausted():
    space = DAGSpace.chain(["a", "b"], num_layers=2)  # 4 architectures
    gen = Generator(space, seed=0)
    gen.pretrain(archs=space.sample(4, seed=0), epochs=2, progress=False)
    assert len(gen.sample(4, seed=0, max_draws=5000)) == 4
    with pytest.raises(SamplingError, match="found only 4"):
        gen.sample(5, seed=0, max_draws=500)


@pytest.mark.parametrize("space_cls", [NB201Space, NB101Space, DARTSSpace])
@pytest.mark.parametrize("mode", ["autoregressive", "paper"])
def test_shipped_pretrained_states_load_and_sample(space_cls, mode):
    space = space_cls()
    gen = Generator.from_pretrained(space, mode)
    assert gen.is_trained and gen.config.mode == mode
    archs = gen.sample(8, seed=0)
    assert len(archs) == 8 and all(space.is_valid(a) for a in archs)


def test_pretrained_nb201_is_close_to_uniform():
    space = NB201Space()
    gen = Generator.from_pretrained(space)
    draws = gen.draw(3000, seed=0)
    counts = np.zeros((6, 5))
    for a in draws:
        for p, op in enumerate(a.ops[1:-1]):
            counts[p, space.ops.index(op)] += 1
    assert np.abs(counts / 3000 - 0.2).max() < 0.035  # sampling noise at n = 3000 is ~0.007
    assert len({space.key(a) for a in draws}) > 0.95 * 2730  # uniform: 15625 (1 - e^(-3000/15625))


def test_no_pretrained_state_for_a_user_space():
    with pytest.raises(InputError, match="No pretrained generator"):
        Generator.from_pretrained(DAGSpace(ops=["a"], num_nodes=3))
    with pytest.raises(InputError, match="cannot be overridden"):
        Generator.from_pretrained(NB201Space(), hidden_dim=8)


def test_the_shipped_state_is_the_one_the_space_names():
    zoo = CandidateSpace(NB101Space().sample(5, seed=0), base=NB101Space())
    assert zoo.pretrained_generator_name == "nb101"
    assert Generator.from_pretrained(zoo, "paper").is_trained

    class MyNB201(NB201Space):  # inherits the name, but the shipped state was trained for NB201Space
        pass

    with pytest.raises(InputError, match="No pretrained generator is shipped for MyNB201"):
        Generator.from_pretrained(MyNB201())

    class Named(DAGSpace):  # names a state that does not exist
        @property
        def pretrained_generator_name(self):
            return "mine"

    with pytest.raises(InputError, match="No pretrained generator is shipped for Named"):
        Generator.from_pretrained(Named(["a"], num_nodes=3))


@pytest.mark.parametrize("space", [NB201Space(), DAGSpace(ops=["a", "b", "c"], num_nodes=(3, 6))], ids=["nb201", "dag"])
def test_sampler_steps_follow_the_teacher_forced_distributions(space):
    # The sampler runs the decoder on each growing prefix; training scores all prefixes at once
    # (teacher forcing). Both must give the same next-type distribution at every step, so the
    # type drawn from each step's uniform is the one teacher forcing's probabilities give.
    from agnet_bo.generator import sampling
    from agnet_bo.generator.losses import teacher_forced

    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=128, epochs=1, progress=False)
    enc, model = gen._encoder, gen.model.double().eval()
    noise = sampling.draw_noise(7, 0, 24, enc.max_nodes, gen.config.latent_dim, True)
    archs = sampling.generate(model, enc, noise)
    rows = [j for j, a in enumerate(archs) if a is not None]
    assert len(rows) >= 12
    batch = {k: v.double() if v.is_floating_point() else v for k, v in enc.encode([archs[j] for j in rows]).items()}
    with torch.no_grad():
        type_logp, _, _ = teacher_forced(model, enc, batch, torch.as_tensor(noise["z"][rows]))
    p = type_logp.exp().numpy()
    for i, j in enumerate(rows):
        length = int(batch["length"][i])
        for t in range(1, length):
            drawn = sampling.inverse_cdf(p[i, t - 1][None], noise["u_type"][j, t][None])[0]
            assert drawn == int(batch["types"][i, t]), (j, t)


@pytest.mark.parametrize("space", [DARTSSpace(), DAGSpace(ops=["a", "b", "c"], num_nodes=(3, 6))], ids=["darts", "dag"])
def test_teacher_forcing_in_chunks_matches_each_step_on_the_whole_graph(space, monkeypatch):
    # Reference: each step t on all max_nodes nodes, those at t and after masked out. The chunked
    # and truncated computation must give the same type log-probabilities and, for every source
    # u < t, the same edge logits, whatever the chunk size.
    from agnet_bo.generator import losses

    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=64, epochs=1, progress=False)
    enc, model = gen._encoder, gen.model.double().eval()
    archs = space.sample(6, seed=3)
    batch = {k: v.double() if v.is_floating_point() else v for k, v in enc.encode(enc.prepare(archs, "archs")).items()}
    b, n = batch["types"].shape
    z = torch.as_tensor(np.random.default_rng(0).standard_normal((b, gen.config.latent_dim)))
    pos = torch.arange(n)
    present = pos.unsqueeze(0) < batch["length"].unsqueeze(1)
    onehot = torch.nn.functional.one_hot(batch["types"], enc.num_types).double() * present.unsqueeze(-1)
    with torch.no_grad():
        x0 = model.node_init(onehot, pos.expand(b, n))
        ref_t, ref_e = [], []
        for t in range(1, n):
            h, g = model.propagate(x0, batch["adj"], present & (pos < t))
            logits = model.type_logits(g, z, torch.full((b,), t)).masked_fill(~enc.type_mask[t], -1e9)
            ref_t.append(torch.log_softmax(logits, -1))
            ref_e.append(model.edge_logits(h, x0[:, t], g, z))
        ref_t, ref_e = torch.stack(ref_t, 1), torch.stack(ref_e, 1)
        below = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)[:, 1:].T  # (N-1) x N: u < t
        for chunk in (1, 3, losses.STEP_CHUNK, n):
            monkeypatch.setattr(losses, "STEP_CHUNK", chunk)
            type_logp, elog, mask = losses.teacher_forced(model, enc, batch, z)
            assert type_logp.shape == (b, n - 1, enc.num_types) and elog.shape == (b, n - 1, n)
            torch.testing.assert_close(type_logp, ref_t)
            torch.testing.assert_close(elog[:, below], ref_e[:, below])
            assert torch.equal(mask, present)


def test_max_draws_bounds_a_long_history_and_changes_nothing_below_it():
    space = NB201Space()
    archs = space.sample(200, seed=0)
    values = np.array([a.ops.count("nor_conv_3x3") for a in archs], dtype=float)
    runs = []
    for max_draws in (None, 200, 64):
        gen = Generator(space, seed=4)
        gen.pretrain(n_samples=128, epochs=1, progress=False)
        out = gen.update(archs, values, epochs=2, max_draws=max_draws)
        runs.append((out["batches"], gen.sample(10, seed=0)))
    bs = GeneratorConfig().batch_size
    assert runs[0][0] == runs[1][0] == 2 * np.ceil(200 / bs)  # at the bound: every epoch over every architecture
    assert runs[0][1] == runs[1][1]  # ... and the same generator
    assert runs[2][0] == np.ceil(64 / bs)  # past it: one pass of 64 weighted draws


def test_max_draws_prepares_only_what_it_draws(monkeypatch):
    space = NB201Space()
    gen = Generator(space, seed=0)
    gen.pretrain(n_samples=64, epochs=1, progress=False)
    archs = space.sample(500, seed=1)
    values = np.arange(500.0)  # the last architectures are the best: they dominate the rank weights
    seen: list[int] = []
    prepare = gen._encoder.prepare
    monkeypatch.setattr(gen._encoder, "prepare", lambda a, what: seen.append(len(a)) or prepare(a, what))
    gen.update(archs, values, max_draws=32)
    assert seen == [32]
    with pytest.raises(InputError, match="max_draws"):
        gen.update(archs, values, max_draws=0)


def test_copies_share_the_encoder_and_its_records(nb201_gen):
    import copy

    nb201_gen.update(nb201_gen.space.sample(8, seed=3), np.arange(8.0), epochs=1)
    twin = copy.deepcopy(nb201_gen)
    assert twin._encoder is nb201_gen._encoder and len(twin._encoder._records) >= 8
    assert twin.model is not nb201_gen.model  # the weights are copied

"""Real training with pruning: NAS-Bench-101 cells on MNIST-1D, stopped early by successive halving.

Every architecture the optimizer asks for is built into a small NAS-Bench-101 network and
trained on MNIST-1D (``agnet_bo.benchmarks.MNIST1D``; the data are generated procedurally by the
``mnist1d`` package, no download). After every epoch the validation accuracy is reported with
``opt.report``; ``opt.should_prune`` asks the pruner (asynchronous successive halving: rungs at
epochs 1, 3, 9, ... one in three trials goes on) whether to stop. A stopped trial is told
``PRUNED`` with the accuracy it reached; the surrogate and the generator still learn from it (at
its expected full-training value), but only trials trained to the end can be the best.

The search spends a fixed budget of epochs. At the end it prints how many architectures it
screened, how many it trained to the end, and the best one's validation and test accuracy.

    pip install "agnet-bo[mnist1d]"
    python examples/multi_fidelity.py --fast     # seconds: a 24-epoch budget, 3-epoch trainings
    python examples/multi_fidelity.py            # 240 epochs (30 full trainings' worth), 8 each
    python examples/multi_fidelity.py --pruner hyperband   # or median: another stopping rule

The full mode takes a few minutes on two CPU cores. Everything is seeded (``--seed``).
"""

from __future__ import annotations

import argparse
import time

import agnet_bo as ab

METRIC = "valid-accuracy"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fast", action="store_true", help="a tiny budget, for a smoke test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pruner", choices=["asha", "hyperband", "median"], default="asha",
                   help="successive halving (default), Hyperband's brackets of it, or the median rule")
    args = p.parse_args()
    epochs, budget = (3, 24) if args.fast else (8, 240)
    pruner: ab.pruners.Pruner = {
        "asha": lambda: ab.pruners.SuccessiveHalving(min_step=1, reduction_factor=3, max_step=epochs),
        "hyperband": lambda: ab.pruners.Hyperband(min_step=1, max_step=epochs, reduction_factor=3, seed=args.seed),
        "median": lambda: ab.pruners.MedianPruner(warmup_steps=1, min_trials=4),
    }[args.pruner]()

    space = ab.spaces.NB101Space()
    bench = ab.benchmarks.MNIST1D(space, epochs=epochs, seed=args.seed)
    opt = ab.Optimizer(
        space, METRIC, seed=args.seed, n_initial=4 if args.fast else 8, pruner=pruner,
    )
    start, spent = time.perf_counter(), 0
    while spent < budget:
        trial = opt.ask()[0]
        for result in bench.train(trial.arch):  # one training, epoch by epoch
            spent += 1
            epoch, acc = int(result["epoch"]), result[METRIC]
            opt.report(trial, epoch, acc)
            if epoch < epochs and opt.should_prune(trial):
                opt.tell(trial, acc, state="PRUNED", info={"test-accuracy": result["test-accuracy"]})
                break
        else:
            opt.tell(trial, acc, info={"test-accuracy": result["test-accuracy"]})
        print(f"trial {trial.id:3d}: {trial.state.value:8s} after {trial.last_step} epoch(s), "
              f"valid {acc:.1f} %  ({spent}/{budget} epochs)", flush=True)

    pruned = sum(t.state is ab.TrialState.PRUNED for t in opt.trials)
    best = opt.best_trial
    print(f"\nscreened {len(opt.trials)} architectures with {spent} epochs: {len(opt.trials) - pruned} trained to the end, "
          f"{pruned} pruned ({time.perf_counter() - start:.0f} s)")
    print(f"best: trial {best.id}, valid {best.values[METRIC]:.1f} %, test {best.info['test-accuracy']:.1f} %")


if __name__ == "__main__":
    main()

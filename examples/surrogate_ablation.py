"""Which surrogate helps AG-Net most? An ablation on the bundled NAS-Bench-201 benchmark.

AG-Net's generator proposes a pool of cells each round and a surrogate picks the ones to evaluate.
This script swaps the surrogate and keeps everything else fixed. So that only the model changes,
the surrogates rank the pool by their predicted mean (``acquisition=greedy``, as the paper does):

* ``agnet:acquisition=greedy``: a Gaussian process with a Weisfeiler-Lehman graph kernel (the
  library's default model);
* ``agnet:surrogate=gnn,acquisition=greedy``: a deep ensemble of GIN graph networks;
* ``agnet-mlp``: the paper's MLP on the generator's outputs, trained jointly with it;
* ``agnet:surrogate=none``: no surrogate, the generator's own samples in the order it drew them;

and, for reference, ``agnet``: the library's default, that GP with UCB's exploration bonus.

Every variant searches NAS-Bench-201 CIFAR-10 (bundled table, no training) on the validation
accuracy for several seeds; the table gives, per budget, the test accuracy of the best cell by
validation accuracy (the paper's protocol), the best validation accuracy and the regret to the
optimum. Runs go to local processes with ``agnet_bo.experiment.compare``, the function behind
``agnet-bo compare`` (``agnet-bo compare --methods agnet agnet-mlp ... --seeds 3 --budget 96``
prints the same table). ``--methods`` takes any method specs (see ``agnet-bo run --help``).

    python examples/surrogate_ablation.py --fast     # one seed, 32 evaluations each
    python examples/surrogate_ablation.py            # 3 seeds, 96 evaluations: a few minutes on 2 cores
    python examples/surrogate_ablation.py --seeds 10 --budget 192 --workers 2

With ``--out DIR`` the finished runs are kept in ``DIR/runs.jsonl`` and reused by the next call.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from agnet_bo.experiment import RunConfig, compare, compare_table, table_markdown

METHODS = [
    "agnet:acquisition=greedy",
    "agnet:surrogate=gnn,acquisition=greedy",
    "agnet-mlp",
    "agnet:surrogate=none",
    "agnet",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="1 seed, 32 evaluations, one worker (seconds)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=96)
    parser.add_argument("--dataset", default="cifar10", choices=["cifar10", "cifar100", "ImageNet16-120"])
    parser.add_argument("--workers", type=int, default=2, help="parallel processes")
    parser.add_argument("--methods", nargs="+", default=METHODS, help="method specs to compare")
    parser.add_argument("--out", default=None, help="directory for runs.jsonl (default: a temporary one)")
    args = parser.parse_args()
    seeds, budget, workers = (1, 32, 1) if args.fast else (args.seeds, args.budget, args.workers)

    base = RunConfig(
        dataset=args.dataset,
        objectives={"valid-accuracy": "maximize"},
        report=["test-accuracy"],
        budget=budget,
        batch_size=16,
    )
    out = args.out or tempfile.mkdtemp(prefix="agnet-ablation-")
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    results = compare(
        args.methods, base, seeds=range(seeds), workers=workers, raw_path=os.path.join(out, "runs.jsonl"), progress=False
    )
    at = sorted({q for q in (32, 64, 96, 192) if q <= budget} | {budget})
    print(f"NAS-Bench-201 {args.dataset}: {len(args.methods)} variants x {seeds} seed(s), {budget} evaluations each")
    print(table_markdown(compare_table(results, at), "valid-accuracy", "test-accuracy"))
    final = {r["method"]: [] for r in results}
    for r in results:
        final[r["method"]].append(r["report"][budget - 1])
    ranking = sorted(final, key=lambda m: -sum(final[m]) / len(final[m]))
    print("ranking by mean test accuracy at the full budget: " + " > ".join(ranking))
    print(f"{len(results)} runs in {time.perf_counter() - start:.1f} s; raw curves in {out}/runs.jsonl")


if __name__ == "__main__":
    main()

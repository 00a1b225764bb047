"""Build agnet_bo/spaces/data/nb201_index.txt.gz: the official NAS-Bench-201 index order.

Rerun from the project root with the shared benchmark data beside the checkout:

    python scripts/build_nb201_index.py ../shared/benchdata

Each line i holds the six operation codes of architecture index i, edges in arch-string order
(0->1, 0->2, 1->2, 0->3, 1->3, 2->3), codes in NAS-Bench-201's operation order
(0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3).
"""

import csv
import gzip
import sys
from pathlib import Path

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse(arch_str: str) -> list[str]:
    ops = []
    for node in arch_str.strip("|").split("|+|"):
        for edge in node.strip("|").split("|"):
            op, _ = edge.split("~")
            ops.append(op)
    return ops


def main(benchdata: str) -> None:
    src = Path(benchdata) / "nasbench201" / "nb201_cifar10-valid_200ep_avg.csv"
    with open(src, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["index"]) for r in rows] == list(range(15625))
    lines = ["".join(str(OPS.index(op)) for op in parse(r["arch_str"])) for r in rows]
    assert len(set(lines)) == 15625
    out = Path(__file__).resolve().parents[1] / "agnet_bo" / "spaces" / "data" / "nb201_index.txt.gz"
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode())
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/benchdata")

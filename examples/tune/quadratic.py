"""A toy trial: a quadratic bowl evaluated over a few "epochs", reporting Katib-style metrics.

Run by the experiments in this directory; standard library only.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from corral.report import report  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--y", type=float, required=True)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

final = (args.x - 0.5) ** 2 + (args.y + 0.25) ** 2
for epoch in range(1, args.epochs + 1):
    time.sleep(0.2)
    # Converges towards the final value, as a training loss would.
    report(step=epoch, loss=final + 1.0 / epoch)
report(loss=final)

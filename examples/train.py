"""A stand-in training script: prints what a real one would (its GPUs, its rank, a falling loss).

Standard library only, so that it runs under any python3. Used by the README's tour.
"""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--epoch-seconds", type=float, default=0.5)
args = parser.parse_args()

rank = os.environ.get("RANK", "0")
world = os.environ.get("WORLD_SIZE", "1")
gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "")
print(f"rank {rank}/{world} on GPUs [{gpus}] (master {os.environ.get('MASTER_ADDR', '-')}"
      f":{os.environ.get('MASTER_PORT', '-')}), lr={args.lr}", flush=True)
loss = 1.0
for epoch in range(1, args.epochs + 1):
    time.sleep(args.epoch_seconds)
    loss *= 1.0 - min(args.lr, 0.9) / 2
    print(f"epoch={epoch} loss={loss:.4f}", flush=True)

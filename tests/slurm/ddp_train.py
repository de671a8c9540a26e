# A two-node DDP check: every rank trains the same model on its own data and all-gathers the
# weights; equal weights on every rank mean the gradients were all-reduced across the nodes.
import os, socket, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
model = DDP(torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(64, 8) + rank
y = x.sum(dim=1, keepdim=True)
for _ in range(20):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
w = model.module.weight.detach().clone()
gathered = [torch.zeros_like(w) for _ in range(world)]
dist.all_gather(gathered, w)
same = all(torch.equal(g, gathered[0]) for g in gathered)
print(f"DDP rank={rank} world={world} host={socket.gethostname()} "
      f"master={os.environ['MASTER_ADDR']} loss={loss.item():.4f} weights_equal={same}", flush=True)
dist.destroy_process_group()

"""Where a torch-backend DCGAN step spends its time: torch.profiler on keras_gen vs the plain loop.

Profiles one timed run (20 steps, batch 64, transposed convolutions, one
thread) of `dcgan_throughput.py`'s `keras_gen` and `pytorch` contestants,
after their warm-up, and prints each one's total self CPU time, its number
of ATen operations and the top operations by self time.

Usage (from the repository root):

    KERAS_BACKEND=torch python benchmarks/profile_torch_step.py
"""

import os
import sys

import torch
from torch.profiler import ProfilerActivity
from torch.profiler import profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dcgan_throughput  # noqa: E402


def main():
    torch.set_num_threads(1)
    for name in ("keras_gen", "pytorch"):
        contestant = dcgan_throughput.make_contestant(name, "transpose", 20)
        contestant.warmup()
        contestant.run()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            contestant.run()
        averages = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in averages)
        print(f"== {name}: total self CPU {total / 1e3:.0f} ms for 20 steps; "
              f"ATen operations {sum(e.count for e in averages)}")
        for e in sorted(averages, key=lambda e: -e.self_cpu_time_total)[:14]:
            print(f"  {e.key[:45]:45s} calls {e.count:6d} self {e.self_cpu_time_total / 1e3:8.1f} ms")


if __name__ == "__main__":
    main()

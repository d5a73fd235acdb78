"""`torch.distributed` data parallelism for the PyTorch trainer.

One process per rank, each holding a full copy of the model and feeding its
own shard of the data (`keras_gen.distributed.shard`). When a default process
group of more than one rank is initialized (`keras_gen.distributed.initialize()`,
or `torch.distributed.init_process_group` called by the user), the trainer:

- copies every variable of the model and of its optimizers from rank 0
  before the model's first train step (`synchronize_model`), so ranks start
  equal even when each built its networks with its own random seed;
- averages each phase's gradients, total loss and logged values over ranks
  with one bucketed all-reduce (`average_phase`) before the finiteness check
  and the optimizer update, so every rank applies the same update, and logs
  the single-process values of the global batch;
- refuses, in `fit`, data that would give ranks different numbers of steps
  (`check_equal_steps`): a rank running out of batches first would leave the
  others waiting in an all-reduce until the group's timeout.

`synchronize_batch_norm` (through `keras_gen.distributed.sync_batch_norm`)
makes `BatchNormalization` layers normalize with the statistics of the
global batch. Without a process group every function here does nothing, so
single-process training is unchanged bit for bit.
"""

import math
import weakref

import torch
import torch.distributed as dist

# model -> the process group its variables were last copied in from rank 0.
_SYNCHRONIZED = weakref.WeakKeyDictionary()


def world_size():
    """Ranks in the initialized default process group (1 when there is none).

    Returns:
        A Python int.
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def _collective_device(tensors=()):
    """Where a buffer for the group's collectives must live (NCCL: the GPU)."""
    for tensor in tensors:
        return tensor.device
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _buckets(tensors):
    """Indices of `tensors` grouped by dtype, in first-seen order (the same on every rank)."""
    groups = {}
    for index, tensor in enumerate(tensors):
        groups.setdefault(tensor.dtype, []).append(index)
    return groups.items()


def _flatten(tensors, indices, dtype=None):
    parts = [tensors[i].detach().reshape(-1) for i in indices]
    flat = torch.cat(parts) if len(parts) > 1 else parts[0].clone()
    return flat if dtype is None else flat.to(dtype)


def _unflatten(flat, tensors, indices):
    pieces, offset = {}, 0
    for i in indices:
        count = tensors[i].numel()
        pieces[i] = flat[offset : offset + count].view(tensors[i].shape)
        offset += count
    return pieces


def all_reduce_mean(tensors):
    """The element-wise mean of each tensor over all ranks, one all-reduce per dtype.

    The tensors of each dtype are flattened into one buffer, summed over
    ranks (`all_reduce` SUM), divided by the world size and split back: one
    collective per phase in the usual case of a single float dtype. Every
    rank receives bitwise the same result.

    Args:
        tensors: a list of floating-point torch tensors, the same shapes and
            dtypes in the same order on every rank.

    Returns:
        A list of tensors of the same shapes (views into the reduced buffers).
    """
    world = world_size()
    if world == 1 or not tensors:
        return list(tensors)
    reduced = list(tensors)
    for _, indices in _buckets(tensors):
        flat = _flatten(tensors, indices)
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat.div_(world)
        for i, piece in _unflatten(flat, tensors, indices).items():
            reduced[i] = piece
    return reduced


def average_phase(loss, logs, grads, variables):
    """Averages one phase's loss, logged values and gradients over ranks.

    Called by the torch trainer between `backward()` and
    `PhaseTrainerMixin._apply_phase`, under `torch.no_grad()`. All of it is
    one bucketed all-reduce. A NaN or Inf on any rank makes the sum, and so
    the average on every rank, non-finite: the finiteness check that follows
    sees the same values everywhere and every rank skips the update
    together, which keeps the exact-skip guarantee and the ranks' weights
    equal without a second collective for the flags.

    Args:
        loss: the phase's total loss (a detached scalar tensor).
        logs: dict of the phase's logged values; floating-point tensors are
            averaged, other values are left as they are.
        grads: the gradients of `variables` (None for a variable the loss
            does not reach: zeros are averaged in its place).
        variables: the phase's Keras variables.

    Returns:
        `(loss, logs, grads)` averaged over ranks: a new dict for `logs`.
    """
    grads = [
        torch.zeros_like(v.value) if g is None else g for g, v in zip(grads, variables)
    ]
    names = [
        name for name, value in logs.items()
        if torch.is_tensor(value) and value.is_floating_point()
    ]
    tensors = [loss.detach()] + [logs[name].detach() for name in names] + grads
    reduced = all_reduce_mean(tensors)
    logs = dict(logs)
    for offset, name in enumerate(names, start=1):
        logs[name] = reduced[offset]
    return reduced[0], logs, reduced[1 + len(names) :]


def broadcast_variables(variables, src=0):
    """Overwrites every variable with its value on rank `src`, one broadcast per dtype.

    Args:
        variables: Keras variables, the same list in the same order on every
            rank (e.g. `model.variables + model.optimizer.variables`).
        src: the rank whose values every rank takes.
    """
    if world_size() == 1:
        return
    seen, unique = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            unique.append(variable)
    values = [v.value for v in unique]
    with torch.no_grad():
        for dtype, indices in _buckets(values):
            # Collectives do not all carry bool: send it as bytes.
            wire = torch.uint8 if dtype == torch.bool else None
            flat = _flatten(values, indices, wire)
            dist.broadcast(flat, src=src)
            if wire is not None:
                flat = flat.to(dtype)
            for i, piece in _unflatten(flat, values, indices).items():
                unique[i].assign(piece)


def synchronize_model(model):
    """Copies `model`'s variables and optimizer state from rank 0, once per process group.

    The torch trainer calls it at the start of every train step; after the
    first one in a process group it returns at once. Call
    `broadcast_variables` directly to copy again (e.g. after loading
    weights on rank 0 only).

    Args:
        model: a compiled `keras_gen.models.GenerativeModel`.
    """
    if world_size() == 1:
        return
    group = dist.group.WORLD
    if _SYNCHRONIZED.get(model) is group:
        return
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    broadcast_variables(variables, src=0)
    _SYNCHRONIZED[model] = group


def check_equal_steps(x, batch_size):
    """Raises a `ValueError` on every rank when ranks would run different numbers of steps.

    Each training step all-reduces gradients, so a rank whose data run out
    first would leave the others waiting until the group's timeout. Only
    NumPy-like data (an array, or a tuple/list whose first entry is one) are
    checked; for other data, every rank must yield the same number of batches.

    Args:
        x: the `x` passed to `fit`.
        batch_size: the `batch_size` passed to `fit` (None: Keras's 32).
    """
    world = world_size()
    if world == 1:
        return
    from keras_gen.trainers.data_specs import num_array_samples

    count = num_array_samples(x)
    batch = batch_size or 32
    local = torch.tensor([-1 if count is None else count, batch], dtype=torch.int64,
                         device=_collective_device())
    gathered = [torch.zeros_like(local) for _ in range(world)]
    dist.all_gather(gathered, local)
    counts = [int(t[0]) for t in gathered]
    batches = [int(t[1]) for t in gathered]
    if min(counts) < 0:
        return
    steps = [math.ceil(c / b) for c, b in zip(counts, batches)]
    if len(set(steps)) > 1:
        raise ValueError(
            f"Every rank must train the same number of steps per epoch, but with "
            f"{counts} samples and batch sizes {batches} (rank 0, 1, ...) the ranks "
            f"would run {steps} steps, and a rank with fewer would leave the others "
            "waiting in an all-reduce. Give each rank its shard with "
            "`keras_gen.distributed.shard(x)` (equal shards) and the same "
            "`batch_size` (the global batch size divided by the world size)."
        )


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks whose gradient is the sum over ranks of the incoming gradients."""

    @staticmethod
    def forward(ctx, tensor):
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


def global_moments(inputs, axes, mask=None):
    """Mean and variance over `axes` of the batch of every rank together.

    One differentiable all-reduce of the per-rank sums, sums of squares and
    counts; the gradient flows back to every rank's inputs, as PyTorch's
    `SyncBatchNorm` does. Computed in float32 at least.

    Args:
        inputs: the local batch (a torch tensor).
        axes: the axes reduced (all but the channel axis).
        mask: None, or a mask of rank `inputs.ndim - 1` (as Keras's
            `BatchNormalization` takes): masked entries are left out.

    Returns:
        `(mean, variance)`, each of the shape of the axes not reduced.
    """
    x = inputs if inputs.dtype in (torch.float32, torch.float64) else inputs.float()
    axes = [a % x.ndim for a in axes]
    if mask is None:
        count = math.prod(x.shape[a] for a in axes)
        total = torch.sum(x, dim=axes)
        squares = torch.sum(torch.square(x), dim=axes)
        counts = torch.full_like(total, float(count))
    else:
        weights = mask.unsqueeze(-1).expand(x.shape).to(x.dtype)
        total = torch.sum(x * weights, dim=axes)
        squares = torch.sum(torch.square(x) * weights, dim=axes)
        counts = torch.sum(weights, dim=axes)
    summed = _AllReduceSum.apply(torch.stack([total, squares, counts]))
    counts = torch.clamp(summed[2], min=1e-7)
    mean = summed[0] / counts
    variance = torch.clamp(summed[1] / counts - torch.square(mean), min=0.0)
    return mean, variance


def synchronize_batch_norm(layer, enabled=True):
    """Makes a `keras.layers.BatchNormalization` use global-batch statistics under a process group.

    The layer's `_moments` (where Keras computes the batch mean and
    variance in training) is replaced on this instance by `global_moments`
    while a process group of more than one rank is initialized; without one
    it calls Keras's own. Keras itself refuses `synchronized=True` on torch.

    Args:
        layer: a `keras.layers.BatchNormalization` (or subclass) instance.
        enabled: False restores Keras's per-rank statistics.
    """
    if not enabled:
        layer.__dict__.pop("_moments", None)
        return
    if "_moments" in layer.__dict__:
        return
    local_moments = layer._moments

    def moments(inputs, mask):
        if world_size() == 1:
            return local_moments(inputs, mask)
        mean, variance = global_moments(inputs, layer._reduction_axes, mask)
        return mean.to(inputs.dtype), variance.to(inputs.dtype)

    # Set outside Keras's attribute tracking: a function is not layer state.
    object.__setattr__(layer, "_moments", moments)

"""A phase: one optimizer's update of one set of variables within a train step."""

import dataclasses
from typing import Callable
from typing import Optional


@dataclasses.dataclass
class Phase:
    """One update within a training step.

    A model returns its phases, in order, from `phases()`; the backend trainer
    runs each `repeats` times, calling `model.compute_phase_loss(phase.name,
    data, training=True)` and applying the optimizer named `optimizer` to
    `variables`. Phases are rebuilt on every call of `phases()`, so no list of
    variables is ever stored on the model (on JAX such a list would be
    tracked as model state).

    Args:
        name: identifies the phase to `compute_phase_loss` (e.g.
            `"discriminator"`).
        optimizer: key of the optimizer in the model's optimizer group.
        variables: the trainable variables this phase updates.
        repeats: updates per train step (e.g. `n_critic = 5` for WGAN).
        log_names: names of the values `compute_phase_loss` logs; each gets a
            running-mean tracker shown by `fit()` and kept in the History.
        constraint: optional `fn(value) -> value` applied to every variable
            after the update (e.g. WGAN weight clipping).
        interval: run the phase only on training steps whose index (the
            optimizer group's step counter, from 0) is a multiple of
            `interval`. The other steps skip its work entirely, as
            stylegan2-ada does for lazy regularization (Karras et al. 2020).
    """

    name: str
    optimizer: str
    variables: list
    repeats: int = 1
    log_names: tuple = ()
    constraint: Optional[Callable] = None
    interval: int = 1

    def __post_init__(self):
        for field in ("repeats", "interval"):
            value = getattr(self, field)
            if int(value) != value or value < 1:
                raise ValueError(
                    f"Phase {self.name!r}: `{field}` must be a positive integer; "
                    f"received {value!r}."
                )

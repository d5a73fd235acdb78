"""Checks of constructor and call arguments: counts and weights."""

import math


def check_positive_int(value, name):
    """Returns `value` as an int, raising `ValueError` unless it is a positive integer."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)


def check_sample_count(num_samples):
    """`num_samples` as an int >= 0, or a `ValueError` naming the fix."""
    if isinstance(num_samples, bool) or int(num_samples) != num_samples or num_samples < 0:
        raise ValueError(
            f"num_samples must be an integer >= 0; received {num_samples!r}."
        )
    return int(num_samples)


def check_non_negative_number(value, name, hint="", positive=False):
    """`value` as a float, or a `ValueError` unless it is a finite number >= 0 (> 0 if `positive`).

    Args:
        value: the number to check.
        name: the argument's name, for the message.
        hint: appended to the message (e.g. the paper's value).
        positive: require `value > 0`.
    """
    bound = "> 0" if positive else ">= 0"
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be a finite number {bound}{hint}; received {value!r}.")
    return number

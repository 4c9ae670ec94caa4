"""Print size: scale a model to the size it will be printed, before anything is measured.

Scans and sculpts often come in arbitrary units: a figure 1.83 units tall, a bust 412 units
wide. `--height 32mm` (or `--width`, `--length`; `height = "32mm"` in config) says how big the
print will be; the runner scales the loaded model uniformly so that its extent along that
axis is exactly that, and every check then measures the printed object.

Axes (the model is +z up after `--up`; `--front` says which way it faces):
- height: bottom to top (z);
- width: side to side (across the front: x when the front is -y or +y);
- length: front to back (along the front: y when the front is -y or +y).

`--units` still applies first (it only changes the factor the report echoes: the print size
fixes the absolute size whatever the file's units were). Only one of the three may be given:
two would disagree unless the model's proportions matched them exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

AXES = ("height", "width", "length")
_FRONTS = {"-y": (0.0, -1.0, 0.0), "+y": (0.0, 1.0, 0.0), "-x": (-1.0, 0.0, 0.0),
           "+x": (1.0, 0.0, 0.0)}


class PrintSizeError(ValueError):
    """A print size that cannot be used (a usage error, or a model flat along the axis)."""


@dataclass(frozen=True)
class PrintSize:
    """The requested size of the print along one axis, in mm."""

    axis: str  # height | width | length
    mm: float

    def __post_init__(self):
        if self.axis not in AXES:
            raise PrintSizeError(f"print size axis must be one of {', '.join(AXES)}, not {self.axis!r}")
        if not (self.mm > 0 and math.isfinite(self.mm)):
            raise PrintSizeError(f"--{self.axis} must be a positive length, not {self.mm!r}")


@dataclass(frozen=True)
class PrintScale:
    """What the runner did: the model's extent before, the target, and the factor (JSON echo)."""

    axis: str
    target_mm: float
    before_mm: float  # the extent along the axis in the file's units converted to mm
    factor: float  # every length was multiplied by this

    def to_dict(self) -> dict:
        return {"axis": self.axis, "target_mm": self.target_mm, "before_mm": self.before_mm,
                "factor": self.factor}

    @classmethod
    def from_dict(cls, d: dict | None) -> "PrintScale | None":
        if not d:
            return None
        return cls(str(d["axis"]), float(d["target_mm"]), float(d["before_mm"]), float(d["factor"]))


def from_options(height=None, width=None, length=None) -> PrintSize | None:
    """The one print size given (lengths as '32mm', '3.2cm', 32 = mm), None if none; two or
    more is a PrintSizeError."""
    from .conditions import ConditionsError, parse_length

    given = [(a, v) for a, v in zip(AXES, (height, width, length)) if v is not None]
    if not given:
        return None
    if len(given) > 1:
        raise PrintSizeError("give one print size: --" + " and --".join(a for a, _ in given)
                             + " together would stretch the model; miniscan scales uniformly")
    axis, value = given[0]
    try:
        return PrintSize(axis, parse_length(value))
    except ConditionsError as e:
        raise PrintSizeError(f"--{axis}: {e}") from None


def axis_vector(axis: str, front: str = "-y"):
    """The unit vector the extent is measured along."""
    import numpy as np

    z = np.array([0.0, 0.0, 1.0])
    f = np.asarray(_FRONTS.get(front, _FRONTS["-y"]))
    if axis == "height":
        return z
    return np.abs(f) if axis == "length" else np.abs(np.cross(z, f))


def extent(vertices, axis: str, front: str = "-y") -> float:
    """The model's extent along the axis, in millimetres (numpy only here: imported late)."""
    import numpy as np

    if not len(vertices):
        return 0.0
    t = np.asarray(vertices, dtype=np.float64) @ axis_vector(axis, front)
    return float(t.max() - t.min())


def scale_for(vertices, size: PrintSize, front: str = "-y") -> PrintScale:
    """The factor that brings the model to `size` (PrintSizeError if it has no extent there)."""
    before = extent(vertices, size.axis, front)
    if not before > 0:
        raise PrintSizeError(f"the model is flat along its {size.axis}: cannot scale it to "
                             f"{size.mm:g} mm {size.axis}")
    return PrintScale(size.axis, size.mm, before, size.mm / before)

"""Viewing conditions: the one immutable value every check reads (DESIGN.md section 1).

A named preset (profile) plus overrides from the command line or config. Everything here
is plain Python so `miniscan --help` and `miniscan profiles` stay instant.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace

from . import vision


class ConditionsError(ValueError):
    """An override or profile that cannot be understood (a usage error, exit 2)."""


@dataclass(frozen=True)
class Printer:
    name: str
    xy_mm: float        # lateral resolution: resin pixel or FDM nozzle width
    layer_mm: float     # layer height: depth below this is lost
    min_wall_mm: float  # thinnest unsupported wall it holds

    @property
    def lateral_cutoff_mm(self) -> float:
        return vision.print_lateral_cutoff(self.xy_mm) if self.name != "fdm" else self.xy_mm


PRINTERS: dict[str, Printer] = {
    "none": Printer("none", 0.0, 0.0, 0.0),
    "resin": Printer("resin", 0.035, 0.03, 0.4),
    "fdm": Printer("fdm", 0.4, 0.1, 0.8),
}

FINISHES = tuple(vision.FINISH_LOBE_RAD)
MATERIALS = ("generic", "skin", "cloth", "leather", "metal", "stone", "wood", "hair")
FRONTS = ("-y", "+y", "-x", "+x")


@dataclass(frozen=True)
class ViewingConditions:
    """How, and from how far, the model will be seen. Lengths in mm at model scale."""

    profile: str = "tabletop"
    scale_n: float = 56.0
    distance_mm: float = 500.0
    acuity_arcmin: float = 1.0
    glance_arcmin: float = 6.0
    finish: str = "matte"
    printer: Printer = field(default_factory=lambda: PRINTERS["resin"])
    paint_mm: float = 0.04
    material: str = "generic"
    # A camera states its resolvable size directly (macro-photo); None means "from the eye".
    resolvable_override_mm: float | None = None
    front: str = "-y"
    subject: str | None = None  # what the model depicts (human, horse, door, ...) for MS501
    # Per-part overrides: (glob on part name, value) pairs, first match wins.
    part_material: tuple[tuple[str, str], ...] = ()
    part_finish: tuple[tuple[str, str], ...] = ()
    # Config additions to the packaged tables, frozen as sorted tuples:
    # materials: ((name, ((property, (lo, hi)), ...)), ...); subjects: ((name, ((key, value), ...)), ...)
    materials_extra: tuple = ()
    subjects_extra: tuple = ()
    description: str = ""

    # Derived quantities: properties so that they can never disagree with the fields.
    @property
    def resolvable_mm(self) -> float:
        if self.resolvable_override_mm is not None:
            return self.resolvable_override_mm
        return vision.resolvable_size(self.distance_mm, self.acuity_arcmin)

    @property
    def glance_mm(self) -> float:
        ratio = self.glance_arcmin / self.acuity_arcmin
        return self.resolvable_mm * ratio if self.resolvable_override_mm is not None \
            else vision.resolvable_size(self.distance_mm, self.glance_arcmin)

    @property
    def lobe_rad(self) -> float:
        return vision.FINISH_LOBE_RAD[self.finish]

    @property
    def bevel_min_mm(self) -> float:
        return vision.highlight_min_radius(self.resolvable_mm, self.lobe_rad)

    def material_for(self, part: str) -> str:
        """The material of a named part (model.part_names), falling back to `material`."""
        return _first_match(self.part_material, part, self.material)

    def finish_for(self, part: str) -> str:
        return _first_match(self.part_finish, part, self.finish)

    def material_props(self, material: str) -> dict:
        """Real-world texture/edge/thickness ranges of a material, config overrides applied."""
        from . import materials

        return materials.get(material, self.materials_table())

    def materials_table(self) -> dict:
        return {name: {k: list(v) for k, v in props} for name, props in self.materials_extra}

    def subjects_table(self) -> dict:
        """Config subjects in the shape of data/subjects.toml entries."""
        return {name: {k: (list(v) if isinstance(v, tuple) else v) for k, v in items}
                for name, items in self.subjects_extra}

    def real_mm(self, model_mm: float) -> float:
        return vision.real_size(model_mm, self.scale_n)

    def scaled(self, k: float) -> "ViewingConditions":
        """The same conditions for a model k times larger (dimensional invariance).

        Every model-scale length is multiplied by k and the scale 1:N becomes 1:(N/k), so the
        real-world subject stays the same size: a bigger print of the same real thing.
        """
        p = self.printer
        return replace(
            self, scale_n=self.scale_n / k, distance_mm=self.distance_mm * k,
            paint_mm=self.paint_mm * k,
            printer=Printer(p.name, p.xy_mm * k, p.layer_mm * k, p.min_wall_mm * k),
            resolvable_override_mm=None if self.resolvable_override_mm is None
            else self.resolvable_override_mm * k)

    def to_dict(self) -> dict:
        """Every resolved field with its unit in the key name; derived values included."""
        return {
            "profile": self.profile,
            "scale": f"1:{_fmt(self.scale_n)}",
            "scale_n": self.scale_n,
            "distance_mm": self.distance_mm,
            "acuity_arcmin": self.acuity_arcmin,
            "glance_arcmin": self.glance_arcmin,
            "finish": self.finish,
            "lobe_half_width_rad": self.lobe_rad,
            "printer": asdict(self.printer),
            "paint_mm": self.paint_mm,
            "material": self.material,
            "front": self.front,
            "subject": self.subject,
            "part_material": {k: v for k, v in self.part_material},
            "part_finish": {k: v for k, v in self.part_finish},
            **({"materials": self.materials_table()} if self.materials_extra else {}),
            **({"subjects": self.subjects_table()} if self.subjects_extra else {}),
            "resolvable_mm": self.resolvable_mm,
            "glance_mm": self.glance_mm,
            "bevel_min_mm": self.bevel_min_mm,
        }


def freeze_table(table) -> tuple:
    """{name: {key: value or [lo, hi]}} -> sorted nested tuples (hashable, deterministic)."""
    if isinstance(table, tuple):
        return table
    return tuple(sorted((str(name), tuple(sorted(
        (str(k), tuple(float(x) for x in v) if isinstance(v, (list, tuple)) else v)
        for k, v in dict(props).items()))) for name, props in dict(table).items()))


def _first_match(pairs, part: str, default: str) -> str:
    from fnmatch import fnmatchcase

    for pattern, value in pairs:
        if fnmatchcase(part, pattern):
            return value
    return default


def parse_part_map(text: str | None, allowed: tuple[str, ...], what: str) -> tuple[tuple[str, str], ...]:
    """'cloak*=cloth, blade=metal' -> (('cloak*', 'cloth'), ('blade', 'metal'))."""
    if not text:
        return ()
    out = []
    for item in str(text).split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ConditionsError(f"{what} map entry {item.strip()!r} must look like PART=VALUE")
        k, v = (x.strip() for x in item.split("=", 1))
        if v not in allowed:
            raise ConditionsError(f"unknown {what} {v!r} for part {k!r}; choose one of: {', '.join(allowed)}")
        out.append((k, v))
    return tuple(out)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


PRESETS: dict[str, ViewingConditions] = {
    "tabletop": ViewingConditions(
        "tabletop", 56, 500, finish="matte",
        description="28 mm heroic minis across a small gaming table"),
    "display": ViewingConditions(
        "display", 56, 250, finish="satin",
        description="a painted mini in a display cabinet, looked at closely"),
    "scale-model-1-35": ViewingConditions(
        "scale-model-1-35", 35, 400, finish="matte",
        description="military and vehicle kits at 1:35 on a shelf"),
    "figure-1-6": ViewingConditions(
        "figure-1-6", 6, 600, finish="satin",
        description="1:6 collectible figures seen across a room corner"),
    "railway-ho": ViewingConditions(
        "railway-ho", 87, 400, finish="matte",
        description="HO model railway scenery seen from the layout edge"),
    "macro-photo": ViewingConditions(
        "macro-photo", 56, 150, finish="satin", resolvable_override_mm=0.02,
        description="a camera with a macro lens: resolves 0.02 mm directly"),
}

_LENGTH_UNITS = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


def parse_length(text: str | float, default_unit: str = "mm") -> float:
    """'60cm', '0.5 m', '12in', '300' (mm) -> millimetres."""
    if isinstance(text, (int, float)):
        value, unit = float(text), default_unit
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(mm|cm|m|in|\")?\s*",
                         str(text))
        if not m:
            raise ConditionsError(
                f"cannot read length {text!r}: give a number with an optional unit, e.g. 60cm, 500mm, 12in")
        value, unit = float(m.group(1)), (m.group(2) or default_unit).replace('"', "in")
    mm = value * _LENGTH_UNITS[unit]
    if not math.isfinite(mm) or mm <= 0:
        raise ConditionsError(f"length {text!r} must be positive")
    return mm


def parse_scale(text: str | float) -> float:
    """'1:56', '1/35', '56' -> N for a model at scale 1:N."""
    if isinstance(text, (int, float)):
        n = float(text)
    else:
        m = re.fullmatch(r"\s*(?:([0-9]*\.?[0-9]+)\s*[:/])?\s*([0-9]*\.?[0-9]+)\s*", str(text))
        if not m:
            raise ConditionsError(f"cannot read scale {text!r}: write it as 1:56, 1/35 or 56")
        num = float(m.group(1)) if m.group(1) else 1.0
        if num <= 0:
            raise ConditionsError(f"scale {text!r} must be positive")
        n = float(m.group(2)) / num
    if not math.isfinite(n) or n <= 0:
        raise ConditionsError(f"scale {text!r} must be positive")
    return n


def resolve(profile: str = "tabletop", *, scale=None, distance=None, acuity=None, glance=None,
            finish=None, printer=None, paint=None, material=None, front=None,
            resolvable=None, subject=None, part_material=None,
            part_finish=None, materials_extra=None, subjects_extra=None) -> ViewingConditions:
    """A preset with overrides applied; strings are parsed, bad values raise ConditionsError."""
    if profile not in PRESETS:
        raise ConditionsError(
            f"unknown profile {profile!r}; choose one of: {', '.join(PRESETS)}")
    c = PRESETS[profile]
    changes: dict = {}
    known_materials = MATERIALS
    if materials_extra:
        changes["materials_extra"] = freeze_table(materials_extra)
        known_materials = tuple(dict.fromkeys([*MATERIALS, *dict(changes["materials_extra"])]))
    if subjects_extra:
        changes["subjects_extra"] = freeze_table(subjects_extra)
    if scale is not None:
        changes["scale_n"] = parse_scale(scale)
    if distance is not None:
        changes["distance_mm"] = parse_length(distance)
    for name, value in (("acuity_arcmin", acuity), ("glance_arcmin", glance)):
        if value is not None:
            v = float(value)
            if not math.isfinite(v) or v <= 0:
                raise ConditionsError(f"{name.split('_')[0]} must be a positive number of arcminutes")
            changes[name] = v
    if finish is not None:
        if finish not in FINISHES:
            raise ConditionsError(f"unknown finish {finish!r}; choose one of: {', '.join(FINISHES)}")
        changes["finish"] = finish
    if printer is not None:
        if printer not in PRINTERS:
            raise ConditionsError(f"unknown printer {printer!r}; choose one of: {', '.join(PRINTERS)}")
        changes["printer"] = PRINTERS[printer]
    if paint is not None:
        v = float(parse_length(paint)) if not (isinstance(paint, str) and paint.strip() in ("0", "0mm", "none")) else 0.0
        changes["paint_mm"] = v
    if material is not None:
        if material not in known_materials:
            raise ConditionsError(f"unknown material {material!r}; choose one of: "
                                  f"{', '.join(known_materials)}")
        changes["material"] = material
    if front is not None:
        if front not in FRONTS:
            raise ConditionsError(f"unknown front {front!r}; choose one of: {', '.join(FRONTS)}")
        changes["front"] = front
    if resolvable is not None:
        changes["resolvable_override_mm"] = parse_length(resolvable)
    if subject is not None:
        changes["subject"] = str(subject).strip().lower() or None
    if part_material is not None:
        changes["part_material"] = part_material if isinstance(part_material, tuple) \
            else parse_part_map(part_material, known_materials, "material")
    if part_finish is not None:
        changes["part_finish"] = part_finish if isinstance(part_finish, tuple) \
            else parse_part_map(part_finish, FINISHES, "finish")
    return replace(c, **changes)

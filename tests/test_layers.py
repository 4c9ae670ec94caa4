"""Typed picture layers (the findings contract): render/ reads CheckResult.layers only.

The families' own layer dataclasses are replaced here by small test doubles with the fields
the contract names (face_layers(); SilhouetteLayers.views/hero_view; SpecularLayers.orbit), so
these tests pin the render side of the contract whatever the families do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
import trimesh

from miniscan.analysis import Analysis
from miniscan.conditions import resolve
from miniscan.findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location
from miniscan.model import from_arrays
from miniscan.render import layers as L


@pytest.fixture(scope="module")
def box():
    m = trimesh.creation.box((10.0, 6.0, 20.0))
    v, f = trimesh.remesh.subdivide_to_size(m.vertices, m.faces, 2.0)
    return from_arrays(v, f, name="box.stl")


# --------------------------------------------------------------- test doubles of the contract


@dataclass(frozen=True)
class Faces(FamilyLayers):
    """Any family's layers: just its FaceLayers."""

    layers: tuple = ()

    def face_layers(self):
        return self.layers


@dataclass(frozen=True)
class LabelFaceLayer(FaceLayer):
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class SilView:
    name: str
    camera: dict
    fine: np.ndarray
    glance: np.ndarray
    lost: np.ndarray
    closed: np.ndarray
    score: float
    origin: tuple = (0.0, 0.0)
    frame_shape: tuple = (8, 8)
    ref: object = None
    numbers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SilhouetteLayers(FamilyLayers):
    views: tuple = ()
    hero_view: str = ""
    worst_view: str = ""
    base_excluded: bool = False


@dataclass(frozen=True)
class OrbitStrip:
    frames: tuple
    masks: tuple = ()
    pixel_mm: float = 0.1
    view: str = "front"
    coverage: float = 30.0
    light_dirs: object = None


@dataclass(frozen=True)
class SpecularLayers(FamilyLayers):
    face_variation_deg: object = None
    face_limit_deg: object = None
    orbit: OrbitStrip | None = None

    def face_layers(self):
        return (FaceLayer("specular-variation", self.face_variation_deg, "°",
                          "normal variation"),)


def _sil_view(name, direction, score, lost_px=3):
    fine = np.zeros((16, 16), bool)
    fine[4:12, 6:10] = True
    lost = np.zeros_like(fine)
    lost[4:4 + lost_px, 6] = True
    return SilView(name, {"direction": direction, "focal": (0, 0, 0)}, fine, fine & ~lost, lost,
                   np.zeros_like(fine), score)


# --------------------------------------------------------------- face layers


def test_a_family_appears_by_returning_face_layers(box):
    a = Analysis(box)
    height = a.face_centroids[:, 2]
    res = (CheckResult("newfam", "ok", layers=Faces((FaceLayer("height", height, "mm", "height"),))),)
    got = [la for la in L.layers_for(box, resolve("tabletop"), res, a) if la.family == "newfam"]
    assert len(got) == 1 and got[0].unit == "mm" and got[0].title == "height"
    assert got[0].name == "newfam-height"  # file-name part: family, then the layer
    rgb = got[0].colors()
    assert rgb.shape == (box.n_faces, 3) and rgb.dtype == np.uint8
    lo, hi = np.argmin(height), np.argmax(height)
    assert tuple(rgb[lo]) != tuple(rgb[hi])  # the values, not a flat colour


def test_value_mask_and_label_kinds(box):
    n = box.n_faces
    vals = np.linspace(0.0, 1.0, n)
    vals[:5] = np.nan
    mask = np.zeros(n)
    mask[10:20] = 1
    labels = np.full(n, np.nan)
    labels[:30] = 0
    labels[30:40] = 1
    value = L.from_face_layer("scale", FaceLayer("thickness", vals, "mm", "wall thickness",
                                                 clim=(0.0, 2.0)))
    assert value.limits() == (0.0, 2.0) and value.categories is None
    assert (value.colors()[:5] == value.colors()[0]).all()  # NaN faces: one grey
    m = L.from_face_layer("edges", FaceLayer("edges-razor", mask, "", "razor edges", "mask"))
    assert m.values[10:20].tolist() == [1.0] * 10 and m.values[:10].sum() == 0
    lab = L.from_face_layer("edges", LabelFaceLayer("edges", labels, "", "verdicts", "label",
                                                    categories=("razor", "ok")))
    assert [c[0] for c in lab.categories] == [L.NO_VALUE, "razor", "ok"]
    assert lab.categories[1][1] == L.LABEL_COLORS["razor"]
    assert lab.values[:30].tolist() == [1.0] * 30 and lab.values[30:40].tolist() == [2.0] * 10
    assert (lab.values[40:] == 0).all()
    # a label layer without names still draws, one legend entry per label
    bare = L.from_face_layer("edges", FaceLayer("edges", labels, "", "verdicts", "label"))
    assert len(bare.categories) == 3


def test_a_broken_family_layer_is_skipped_and_the_rest_still_come(box):
    class Broken(FamilyLayers):
        def face_layers(self):
            raise RuntimeError("boom")

    a = Analysis(box)
    res = (CheckResult("broken", "ok", layers=Broken()),
           CheckResult("fine", "ok", layers=Faces((FaceLayer("x", np.ones(box.n_faces), "mm"),))))
    fams = [la.family for la in L.layers_for(box, resolve("tabletop"), res, a)]
    assert "broken" not in fams and "fine" in fams and "health" in fams


def test_a_family_without_face_layers_is_painted_by_its_findings(box):
    a = Analysis(box)
    f = Finding("MS502", "thin", measured=0.1, measured_range=(0.08, 0.12), threshold=0.4,
                unit="mm", location=Location((0.0, 0.0, 10.0)))
    res = (CheckResult("scale", "ok", findings=(f,)),)
    (lay,) = [la for la in L.layers_for(box, resolve("tabletop"), res, a) if la.family == "scale"]
    assert lay.categories is not None and (lay.values > 0).any() and (lay.values == 0).any()


def test_health_layer_marks_open_edges():
    m = trimesh.creation.box((10, 10, 10))
    keep = np.ones(len(m.faces), bool)
    keep[0] = False  # punch a hole
    model = from_arrays(m.vertices, m.faces[keep])
    lay = L.health_layer(model, Analysis(model))
    assert lay.categories[1][0].startswith("open edge")
    assert (lay.values == 1).sum() >= 2 and (lay.values == 0).any()


# --------------------------------------------------------------- silhouette and orbit


def test_silhouette_sheet_and_hero_view_read_the_typed_views():
    from miniscan.render.contact import INK_LOST, silhouette_sheet
    from miniscan.render.sheets import hero_view

    top = _sil_view("top", (0.0, 0.0, 1.0), 95.0)
    front = _sil_view("front", (0.0, -1.0, 0.0), 80.0, lost_px=5)
    side = _sil_view("side", (1.0, 0.0, 0.0), 60.0)
    sil = SilhouetteLayers((top, front, side), hero_view="top", worst_view="side",
                           base_excluded=True)
    res = (CheckResult("silhouette", "ok", layers=sil),)
    # a hero looking straight down is replaced by the best lower view
    name, d = hero_view(res, "-y")
    assert name == "front" and np.allclose(d, (0.0, -1.0, 0.0))
    img = np.asarray(silhouette_sheet(sil, 640))
    assert img.shape[1] == 640
    assert (img.reshape(-1, 3) == INK_LOST).all(axis=1).any()  # lost parts drawn red
    assert silhouette_sheet(SilhouetteLayers(), 640) is None


def test_orbit_strip_reads_the_typed_orbit(box):
    from miniscan.render.contact import orbit_strip

    frames = tuple(np.full((12, 12), 40 * i, np.uint8) for i in range(6))
    spec = SpecularLayers(np.zeros(box.n_faces), np.ones(box.n_faces), OrbitStrip(frames))
    img, gif = orbit_strip(spec.orbit, {"flicker": 0.25}, 640)
    assert img.size[0] == 640 and gif[:6] in (b"GIF87a", b"GIF89a")
    assert orbit_strip(None) == (None, None)
    # its face layer is a heat map in degrees
    a = Analysis(box)
    res = (CheckResult("specular", "ok", layers=spec),)
    (lay,) = [la for la in L.layers_for(box, resolve("tabletop"), res, a) if la.family == "specular"]
    assert lay.unit == "°"


# --------------------------------------------------------------- a family's own layers


def test_edge_layers_name_their_verdicts_and_radii(box):
    """EdgeLayers (chain per face, each chain's verdict, radius per face) draw as a named
    verdict legend and a radius heat map in mm."""
    from miniscan.checks.edges import EdgeLayers

    a = Analysis(box)
    fc = np.full(box.n_faces, -1)
    fc[:4] = 0
    fc[4:8] = 1
    radius = np.where(fc == 0, 0.01, np.where(fc == 1, 2.0, np.nan))
    res = CheckResult("edges", "ok", layers=EdgeLayers(fc, ("razor", "soft"), radius))
    lays = {la.name: la for la in L.layers_for(box, resolve("tabletop"), (res,), a)
            if la.family == "edges"}
    verdicts = lays["edges-verdict"]
    names = [c[0] for c in verdicts.categories]
    assert names[int(verdicts.values[0])] == "razor" and names[int(verdicts.values[5])] == "soft"
    assert names[int(verdicts.values[8])] == L.NO_VALUE
    rad = lays["edges-radius"]
    assert rad.unit == "mm" and rad.values[0] == pytest.approx(0.01)
    assert np.isnan(rad.values[8:]).all()


def test_a_value_layer_marks_its_limit_on_the_colour_bar(box):
    """A FaceLayer may name marks, e.g. the printer's minimum wall on a thickness map."""
    from miniscan.render import draw

    @dataclass(frozen=True)
    class Marked(FaceLayer):
        marks: tuple = ()

    fl = Marked("thickness", np.linspace(0, 2, box.n_faces), "mm", "wall thickness",
                clim=(0.0, 2.0), marks=((0.5, "printer minimum 0.5 mm"),))
    lay = L.from_face_layer("scale", fl)
    assert lay.marks == ((0.5, "printer minimum 0.5 mm"),)

    def bar(marks):
        img = draw.canvas(400, 120)
        draw.colorbar(img, (20, 60, 320, 74), "viridis", (0.0, 2.0), "t (mm)", 14, marks=marks)
        return np.asarray(img).astype(int)

    plain, marked = bar(()), bar(lay.marks)
    x = 20 + round(0.25 * 299)
    assert (marked[60:74, x] < 60).all(axis=1).all()  # a dark line across the bar
    assert (np.abs(marked - plain).sum(axis=2)[:58] > 0).any()  # its text above the bar

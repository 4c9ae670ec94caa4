"""The speed work's exactness promises: the fast image kernels give the same bits as the
scipy.ndimage calls they replace, and a blur far wider than its image stays small."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from miniscan.analysis import silhouettes as sil
from miniscan.raster import grow8, grow_by, shrink4, shrink8

EIGHT = np.ones((3, 3), bool)


@st.composite
def masks(draw):
    h, w = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    seed, density = draw(st.integers(0, 2**31)), draw(st.floats(0.02, 0.98))
    m = np.random.default_rng(seed).random((h, w)) < density
    return ndi.binary_opening(m) if draw(st.booleans()) else m  # blobs as well as noise


@settings(max_examples=150, deadline=None)
@given(masks(), st.sampled_from([1.0, 1.5, 2.2, 3.0, 3.7, 4.0]))
def test_fast_morphology_is_ndimage(m, radius):
    assert (grow8(m) == ndi.binary_dilation(m, EIGHT)).all()
    assert (shrink8(m) == ndi.binary_erosion(m, EIGHT, border_value=0)).all()
    assert (shrink4(m) == ndi.binary_erosion(m, border_value=0)).all()
    disc = sil._disc(radius)
    assert (grow_by(m, disc) == ndi.binary_dilation(m, structure=disc)).all()


@pytest.mark.parametrize("fwhm", [3.0, 12.0, 40.0])
def test_direct_blur_agrees_with_the_fft(monkeypatch, fwhm):
    img = (np.random.default_rng(7).random((50, 70)) < 0.4).astype(np.float32)
    fft = sil.Blur(img, fwhm)(fwhm)
    monkeypatch.setattr(sil, "DIRECT_BLUR_PAD", 0)
    direct = sil.Blur(img, fwhm)
    assert direct.image is not None
    # sampled Gaussian weights against the FFT's continuous one: they differ by the
    # discretisation at narrow blurs (6e-5 at 3 px), which only the FFT path ever sees
    assert np.abs(direct(fwhm) - fft).max() < (1e-4 if fwhm < 10 else 1e-9)


def test_a_blur_much_wider_than_its_image_does_not_pad_to_it():
    # a 14 um model seen at tabletop distance: the glance blur is ~15,000 px wide on a
    # 256 px image; the FFT would have padded to 52,488^2 (20 GB)
    img = np.zeros((256, 256), np.float32)
    img[100:150, 100:150] = 1.0
    b = sil.Blur(img, 15_000.0)
    assert b.image is not None and not hasattr(b, "spec")
    out = b(15_000.0)
    assert out.shape == img.shape and out.max() < 1e-3


def test_occlusion_query_answers_as_the_closest_hit():
    """Silhouette coverage asks only whether rays hit (Raster.blocked); it must say what the
    closest-hit cast says, ray for ray, at every view of a figure in a random pose."""
    import trimesh

    from miniscan.raster import Raster
    from miniscan.samples import spear_figure

    v, f, _, _ = spear_figure()
    rot = trimesh.transformations.random_rotation_matrix(np.random.default_rng(3).random(3))
    v = v @ rot[:3, :3].T
    r = Raster(v, f)
    grid = sil.make_grid(v, 0.15)
    for view in sil.view_set():
        cam = grid.camera(view)
        rr, cc = np.mgrid[0:grid.n, 0:grid.n]
        o, d = r.rays(cam, rr.ravel() + 0.5, cc.ravel() + 0.5)
        assert (r.blocked(o, d) == r.cast(o, d).hit).all()


def test_open3d_is_imported_without_plotly_and_dash():
    """o3d_import.prepare(): open3d loads without its plotly/dash front end (0.6-0.9 s a
    process), and its plotly drawing still works when asked for (the real module loads)."""
    import subprocess
    import sys

    code = ("import sys; from miniscan import o3d_import; o3d_import.prepare(); "
            "import open3d as o3d; assert 'dash' not in sys.modules, 'dash'; "
            "assert 'plotly' not in sys.modules, 'plotly'; "
            "f = o3d.visualization.draw_plotly; assert callable(f); "
            "from open3d.visualization import draw_plotly; "
            "m = sys.modules['open3d.visualization.draw_plotly']; "
            "assert getattr(m, '_miniscan_stand_in', False); "
            "import miniscan.o3d_import as oi; real = oi._real(); "
            "assert 'dash' in sys.modules and hasattr(real, 'get_plotly_fig'); print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


# --- the sorts behind creases._weighted_quantile and detail.thin: np.lexsort's permutation ---

@st.composite
def labelled_values(draw):
    n = draw(st.integers(0, 400))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    top = draw(st.sampled_from([1, 7, 300, 65_535, 65_536, 70_000, 2**33]))
    labels = rng.integers(0, top, n)
    if draw(st.booleans()):
        labels = np.sort(labels)  # runs, as mesh labels come
    if draw(st.booleans()):
        labels = labels.astype(np.int32 if top < 2**31 else np.int64)
    ties = draw(st.sampled_from([0, 3, 50]))  # 0: distinct values; k: k distinct values
    values = rng.normal(size=n) if not ties else rng.integers(0, ties, n).astype(float)
    if n and draw(st.booleans()):
        values[rng.integers(0, n, 1 + n // 20)] = np.nan
    if n and draw(st.booleans()):
        values[rng.integers(0, n, 1 + n // 20)] = -0.0
    return values, labels


@settings(max_examples=200, deadline=None)
@given(labelled_values())
def test_lexsort_labels_is_numpys_lexsort(vl):
    from miniscan.analysis import label_order, lexsort_labels, value_order

    values, labels = vl
    np.testing.assert_array_equal(lexsort_labels(values, labels), np.lexsort((values, labels)))
    np.testing.assert_array_equal(value_order(values), np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(label_order(labels), np.argsort(labels, kind="stable"))
    np.testing.assert_array_equal(label_order(labels - 3), np.argsort(labels - 3, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(labelled_values(), st.integers(0, 2**31), st.sampled_from([1, 2, 4]))
def test_lexsort_labels_ties_is_numpys_lexsort(vl, seed, spread):
    """Tie keys drawn from a few values (ties within ties, down to the index), NaN and -0.0
    among the values: the permutation np.lexsort gives."""
    from miniscan.analysis import lexsort_labels_ties

    values, labels = vl
    rng = np.random.default_rng(seed)
    ties = [rng.integers(0, spread, len(values)).astype(float) for _ in range(3)]
    np.testing.assert_array_equal(lexsort_labels_ties(values, labels, ties),
                                  np.lexsort((*ties[::-1], values, labels)))


@settings(max_examples=100, deadline=None)
@given(labelled_values())
def test_first_by_value_is_the_lexsort_head(vl):
    """Each group's member of lowest value, ties to the lowest index: what thin() took as
    o[start] of np.lexsort((prio, key))."""
    from miniscan.analysis import first_by_value, unique_inverse

    values, labels = vl
    if not len(values):
        return
    values = np.nan_to_num(values, nan=0.5)  # priorities are never NaN
    uniq, g, _ = unique_inverse(labels.astype(np.int64))
    o = np.lexsort((values, labels))
    start = np.ones(len(o), bool)
    start[1:] = labels[o][1:] != labels[o][:-1]
    np.testing.assert_array_equal(first_by_value(values, g, len(uniq)), o[start])


def test_the_pool_takes_the_largest_files_first(tmp_path):
    """Longest processing time first: workers get the big files before the small ones (ties
    and unreadable paths in input order); the report keeps input order (test_batch)."""
    from miniscan.conditions import resolve
    from miniscan.runner import FileJob, RunOptions, _largest_first

    sizes = [10, 300, 10, 5000, 0]
    jobs = []
    for i, n in enumerate(sizes):
        p = tmp_path / f"f{i}.stl"
        p.write_bytes(b"x" * n)
        jobs.append((i, FileJob(str(p), resolve("tabletop"), RunOptions())))
    jobs.append((5, FileJob(str(tmp_path / "missing.stl"), resolve("tabletop"), RunOptions())))
    assert [i for i, _ in _largest_first(jobs)] == [3, 1, 0, 2, 4, 5]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_rays_are_the_bits_rays_gave(seed):
    """raster._ortho_rays32 (grid and scattered samples) makes the same float32 rays that
    rays() + blocked() converted, so coverage is the same bits."""
    from miniscan.analysis import silhouettes as sil_
    from miniscan.raster import Raster
    from miniscan.samples import icosphere

    rng = np.random.default_rng(seed)
    v, f = icosphere(rng.uniform(0.5, 30.0), 2)
    v = v + rng.normal(scale=100.0, size=3)  # far from the origin: offsets matter
    rast = Raster(v, f)
    grid = sil_.make_grid(v, rng.uniform(0.05, 0.5))
    for view in sil_.view_set()[:: 4 + seed]:
        cam = grid.camera(view)
        rows = np.arange(3, 40) + 0.5
        cols = np.arange(7, 61) + 0.5
        rr, cc = (x.ravel() for x in np.meshgrid(rows, cols, indexing="ij"))
        o, d = rast.rays(cam, rr, cc)
        want = np.hstack([o - rast.offset, d]).astype(np.float32)
        np.testing.assert_array_equal(rast._ortho_rays32(cam, rows, cols, grid=True), want)
        sr, sc = rng.uniform(0, grid.n, 500), rng.uniform(0, grid.n, 500)
        o, d = rast.rays(cam, sr, sc)
        want = np.hstack([o - rast.offset, d]).astype(np.float32)
        np.testing.assert_array_equal(rast._ortho_rays32(cam, sr, sc), want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=40))
def test_pairs_in_runs_are_every_equal_pair(xs):
    """pairs_in_runs (the hard lines' and bridges' pairing: every two hard edges at a vertex,
    every two chains in a band) lists each pair of equal values once, a < b, by distance then
    place: the pairs a loop over every index pair would keep, in the order the loops it replaced
    gave them."""
    from miniscan.analysis.creases.common import pairs_in_runs

    x = np.sort(np.array(xs, dtype=np.int64))
    a, b = pairs_in_runs(x)
    want = sorted(((j - i, i, j) for i in range(len(x)) for j in range(i + 1, len(x))
                   if x[i] == x[j]))
    assert [(int(j - i), int(i), int(j)) for i, j in zip(a, b)] == want


@st.composite
def ragged_rows(draw):
    """2-D float arrays with NaN holes (whole rows of them too), ties and wide ranges."""
    s, m = draw(st.integers(1, 12)), draw(st.integers(1, 30))
    seed, holes = draw(st.integers(0, 2**31)), draw(st.floats(0.0, 1.0))
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(s, m)) * 10.0 ** draw(st.integers(-6, 3))
    if draw(st.booleans()):
        y = np.round(y, draw(st.integers(0, 2)))
    y[rng.random((s, m)) < holes] = np.nan
    return y


@settings(max_examples=200, deadline=None)
@given(ragged_rows(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 0.3137]))
def test_row_medians_and_quantiles_are_numpys_bits(y, q):
    import warnings

    from miniscan.analysis.creases.common import nanmedian_rows, nanquantile_rows

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (numpy warns of all-NaN rows)
        med, qu = np.nanmedian(y, axis=1), np.nanquantile(y, q, axis=1)
    assert np.array_equal(nanmedian_rows(y), med, equal_nan=True)
    assert np.array_equal(nanquantile_rows(y, q), qu, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 40))
def test_the_walks_cross_product_is_numpys_bits(seed, n):
    from miniscan.analysis.creases.stations import _cross

    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 4, 3)) * 1e3
    assert np.array_equal(_cross(a[:, None, :], b), np.cross(a[:, None, :], b))
    assert np.array_equal(_cross(a, b[:, 0]), np.cross(a, b[:, 0]))

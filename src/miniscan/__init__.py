"""miniscan: will this small model still read as real at the size and distance it is seen?

Scripting API (heavy libraries load on first use):

    >>> import miniscan
    >>> model = miniscan.load("sample_meshes/showcase_mini.ply")
    >>> report = miniscan.check(model, profile="display")
    >>> [f.code for f in report.files[0].findings]
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__", "load", "check", "viewing", "explain"]


def load(path, units: str | None = None, *, scale_n: float = 56.0, height=None, width=None,
         length=None, front: str = "-y"):
    """Read a mesh or point cloud into a Model in millimetres (raises LoadError); with a
    print size (height='32mm', or width/length) scaled to it (docs/api.md)."""
    from .printsize import from_options
    from .runner import RunOptions, load_model

    size = from_options(height, width, length)
    return load_model(path, RunOptions(units=units, print_size=size), scale_n, front)


def check(path_or_model, profile: str = "tabletop", *, units: str | None = None,
          select: str | None = None, ignore: str | None = None, height=None, width=None,
          length=None, **overrides):
    """Run every check family on a file, a directory or a Model; returns a Report.

    overrides are the viewing-condition options: scale='1:35', distance='60cm',
    acuity=1.0, glance=6.0, finish='satin', printer='fdm', paint='0.05mm', material='skin'.
    height='32mm' (or width, length) scales each model to its print size first.
    """
    from .conditions import resolve
    from .findings import Report
    from .model import Model
    from .printsize import from_options
    from .rules import parse_codes
    from .runner import RunOptions, check_model, check_paths

    cond = resolve(profile, **overrides)
    opts = RunOptions(select=parse_codes(select), ignore=parse_codes(ignore), units=units,
                      print_size=from_options(height, width, length))
    if isinstance(path_or_model, Model):
        fr = check_model(path_or_model, cond, opts)
        return Report(__version__, cond.to_dict(), (fr,), {"files": {fr.path: fr.timings}})
    paths = [path_or_model] if not isinstance(path_or_model, (list, tuple)) else path_or_model
    return check_paths([str(p) for p in paths], cond, opts)


def explain(code: str) -> str:
    """The rule page of a code (markdown), as `miniscan rule CODE` prints it."""
    from .rule_docs import load_examples, page
    from .rules import rule

    return page(rule(code.strip().upper()), load_examples().get(code.strip().upper()))


def viewing(profile: str = "tabletop", **overrides):
    """The resolved ViewingConditions for a profile plus overrides."""
    from .conditions import resolve

    return resolve(profile, **overrides)

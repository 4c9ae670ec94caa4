"""The package version, on the ground floor: the runner and the cache stamp it into reports and
cache keys without importing the package's scripting API (kept equal to pyproject.toml)."""

__version__ = "0.1.0"

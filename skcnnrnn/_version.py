"""The installed version of skcnnrnn, apart so that modules need no upward import."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skcnnrnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

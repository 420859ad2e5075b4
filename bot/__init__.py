"""Linkage: the composition root and runtime of the bot."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("linkage")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

"""GEN skills dataspace connector: ESCO / ROME 4.0 linked data, SHACL validation, SPARQL 1.1 and DSP 2025-1."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gen-skills-connector")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

"""MOSS-Music Studio core library: audio, annotations, library database, analysis and export.

Importable without Qt so scripts and the worker can use it headless.
"""

__version__ = "0.1.0"

"""Socratic tutoring with simulated students: the core library.

Nothing heavy is imported or loaded here: models, databases and the sandbox are built on demand.
"""

__version__ = "0.1.0"

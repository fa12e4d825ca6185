"""omnivox core: knows no platform and no database driver."""

__version__ = "0.1.0"

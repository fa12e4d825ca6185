"""omnivox core: knows no platform and no database driver."""

from bot.offline import silence_telemetry

__version__ = "0.1.0"

# before any engine library can load: see bot.offline
silence_telemetry()

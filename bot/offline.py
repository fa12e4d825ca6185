"""Libraries the embedded engines use stay off the network unless asked.

onnxruntime (under Piper, the Silero VAD and rapidocr) uploads usage events to Microsoft
from its native code: DNS lookups of mobile.events.data.microsoft.com while it runs and
when the process exits. Its opt-out is an environment variable read when its runtime is
created, so it is set before any engine library loads. huggingface_hub, used only by
engines configured to download from the Hub, is asked not to send its usage pings.
"""

from __future__ import annotations

import os

TELEMETRY_OFF = {
    "ORT_DISABLE_TELEMETRY": "1",  # what onnxruntime 1.2x-1.3x reads
    "ORT_TELEMETRY_DISABLED": "1",  # the name newer onnxruntime builds read
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def silence_telemetry() -> None:
    """Set the opt-outs, leaving any value the operator chose."""
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)

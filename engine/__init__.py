"""The on-device engine of LifeOS Coach. Everything outside goes through `engine.api`.

One process-wide setting is made here, before numpy can be imported: BLAS uses one thread. The
engine's matrix products are small (a query against tens of thousands of rows, a few milliseconds),
and a multi-threaded BLAS keeps its threads spinning after each one, fighting ONNX Runtime's threads
for the same two cores: measured, query embedding went from 13 to 26 ms and recall p95 from 54 to
106 ms. `setdefault` leaves a user's own choice alone.

A second one is not a choice: ONNX Runtime's telemetry is switched off before the library can load.
Left on, its first import writes a device id and an event queue under
``~/.cache/Microsoft/DeveloperTools/.onnxruntime/`` and a ``.ses`` file in the temp folder; a
privacy-first app writes nothing outside the profile and its documented config folder
(tests/test_hostile_privacy.py runs the CLI with a throwaway HOME and TMPDIR to prove it).
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

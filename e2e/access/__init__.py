"""The access matrix of POLICY.md, run against the running stack (see `matrix.py`)."""

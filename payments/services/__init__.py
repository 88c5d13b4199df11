"""Payment services: the calculation (calculate.py), the statement workflow (workflow.py) and runs (runs.py)."""

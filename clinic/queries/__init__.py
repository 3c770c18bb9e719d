"""Data queries: a monitor, physician or coordinator questions a recorded value; the
site answers (an explanation, or a correction with its reason); the monitor closes it.
Rules raise the same kind of query automatically (rules.py)."""

"""Electronic signatures of a patient's recorded data (21 CFR Part 11 §11.50, §11.70,
§11.200): who signed, the printed name, when, the meaning, and a hash of what was
signed, so that any later change to it shows the signature as void."""

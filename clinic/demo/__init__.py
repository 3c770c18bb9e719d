"""The SYNTHETIC demo study: the seed trial's design with calibrated, made-up patients."""

"""Radiation dose from DICOM Radiation Dose Structured Reports (RDSR): read by concept
code (rdsr.py, pydicom only), import onto a procedure without ever counting an
irradiation event twice (service.py)."""

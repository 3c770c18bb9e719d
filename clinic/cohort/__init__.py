"""The physician's cohort view: filtered outcomes by arm over time, with the paper's tests."""

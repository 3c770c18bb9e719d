"""gunicorn's settings for this app. gunicorn reads this file from the directory it
starts in (``gunicorn wsgi:app`` in the checkout, as README "Deploying" and
``scripts/serve-demo.sh`` run it); started elsewhere, name it: ``-c <checkout>/gunicorn.conf.py``.
Workers, threads and the address to bind stay on the command line.
"""

# The longest request line (method, address, HTTP version) gunicorn reads: 8,190 bytes,
# its ceiling short of 0 (no limit at all, one request line could fill a worker's
# memory). Its default, 4,094, is below the app's own limit on an address
# (MAX_URL_LENGTH, 4,096 characters), so gunicorn refused an over-long address with its
# own HTML page; now the app refuses it (414) in its own words: JSON under /api/, an
# OperationOutcome under /api/v1/fhir/, its error page elsewhere. A request line over
# 8,190 bytes still gets gunicorn's plain HTML 414.
limit_request_line = 8190

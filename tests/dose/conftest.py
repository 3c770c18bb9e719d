from tests.api.conftest import bearer  # noqa: F401  (a bearer token for any role)

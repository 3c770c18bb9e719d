from tests.api.conftest import bearer  # noqa: F401  (a bearer token for any role)
from tests.web.conftest import event  # noqa: F401  (an adverse event of the clinic's patient)

"""pandas as the app uses it, set once per process by every module that reads data into it.

pandas 3 stores inferred texts (its ``str`` dtype) in Arrow arrays whenever pyarrow is
installed, and pyarrow is (the SQLite report reads through ADBC, :mod:`clinic.reports.
arrow`). The report keeps its texts as numpy ``object`` columns; where pandas makes a
``str`` column of them (an index, a lookup), converting between the two storages took
1.8 of the 200,000-patient report's seconds. Python-backed ``str`` storage is what the
app was built and measured with; the values and the output are the same either way.
"""

import pandas as pd

pd.set_option("mode.string_storage", "python")

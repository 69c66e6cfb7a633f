"""What the forkserver of mapping workers imports before it forks any worker (``set_forkserver_preload``): each worker
inherits it instead of building it again. Imported for that state, nowhere else.

- the worker code (:mod:`connector.mapping.batch` and what it imports, about 0.5 s of CPU);
- the SHACL shapes of every profile the job's gate validates with (about 0.45 s of CPU).
"""

from connector.mapping import batch  # noqa: F401 - imported for the forked workers
from connector.mapping.gate import prepare
from connector.mapping.job import KINDS

prepare(sorted({profile for _, profile in KINDS.values()}))

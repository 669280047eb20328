"""Settings of the test suite: the development profile, asked for explicitly.

Debug is off unless the environment asks for it, so the suite asks here, before the project's
settings read the environment. Subprocesses the tests start inherit the request.
"""

import os

os.environ["DEBUG"] = "true"

from csos.settings import *  # noqa: F403

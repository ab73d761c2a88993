"""Course tooling: what runs the notebooks' tests, not what learners import (see aecourse)."""

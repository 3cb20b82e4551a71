"""Collection rules for the whole checkout (the tests and the package's doctests).

The integrations subclass or import their toolkits at module level; without the extra installed their
doctests cannot be collected, so they are left out (their tests in tests/ skip with the reason).
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("got10k") is None:
    collect_ignore.append("meanshift/integrations/got10k.py")
if importlib.util.find_spec("trax") is None:
    collect_ignore.append("meanshift/integrations/vot.py")

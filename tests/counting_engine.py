"""An engine (``kg.sparql.engine.Engine``) wrapped so that a test can count what is asked of it: for the
tests of the result cache and of the lookup lane, which must spare the engine below them some calls."""

from __future__ import annotations

from kg.sparql.engine import Wrapping


class CountingEngine(Wrapping):
    """``inner``, counting the ``peek`` and ``stream`` calls that reach it; ``close`` leaves ``inner`` open (it
    belongs to the test's fixture). ``version``: the dataset version to report, ``inner``'s by default."""

    def __init__(self, inner, version=None):
        self.inner, self.version = inner, version or inner.version
        self.peeks = self.streams = 0

    def peek(self, job):
        self.peeks += 1
        return self.inner.peek(job)

    def stream(self, job):
        self.streams += 1
        return self.inner.stream(job)

    def run(self, job):
        return self.inner.run(job)

    def close(self) -> None:
        pass

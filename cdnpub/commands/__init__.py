"""What both faces (`cdnpub` and `flask cdn`) share: options defined once, where their
values come from, the one error line, progress, reports, and the use cases they run.

The rule: below the faces, above everything else. This is the composition root: the
only place that wires AWS clients into the sync core, and the only place that prints.
"""

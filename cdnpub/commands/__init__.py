"""What both faces (`cdnpub` and `flask cdn`) share: options defined once, where their
values come from, the one error line, progress, reports, and the use cases they run
(publish, doctor, `releases` and `diff`), with what a publish records of where it comes
from (`provenance`: the environment, git).

The rule: below the faces, above everything else. This is the composition root: where
AWS clients are wired into the sync core, and where results are printed (the faces
print only their own small reports, such as `cdnpub invalidate`'s).
"""

"""`python -m cdnpub.local`, the same as `cdnpub local`."""

from cdnpub.commands.local import local_command
from cdnpub.commands.output import run_face

run_face(local_command, "cdnpub local")

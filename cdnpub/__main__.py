"""`python -m cdnpub`, the same as the `cdnpub` command (where the console script is not
on PATH: a venv not activated, `pipx run`, a CI image)."""

from cdnpub.cli import main

if __name__ == "__main__":
    main()

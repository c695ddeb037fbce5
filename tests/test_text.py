import pytest
from rich.console import Console

from cdnpub.commands.output import cell
from cdnpub.text import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("css/app.css", "css/app.css"),
        ("caf\u00e9 \u2603.css", "caf\u00e9 \u2603.css"),
        ("a\nb.css", "a\\nb.css"),
        ("a\rb\tc", "a\\rb\\tc"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        ("line\u2028sep", "line\\u2028sep"),
        ("caf\udce9.txt", "caf\\xe9.txt"),  # a byte that is not UTF-8, as os.fsdecode keeps it
        ("http://user:pa ss@host", "http://user:pa ss@host"),  # a space ends userinfo: not a URL's
        ("see http://user:hunter2@127.0.0.1:4566/b", "see http://***@127.0.0.1:4566/b"),
        ("https://AKIA:secret@s3.example.com", "https://***@s3.example.com"),
        ("mail me@example.com", "mail me@example.com"),
    ],
)
def test_printable_escapes_control_characters_and_redacts_userinfo(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize("key", ["static/[/]x.js", "static/[lang]/page.js", "static/[bold]b[/bold].css"])
def test_a_cell_shows_a_key_as_it_is_not_as_markup(key: str) -> None:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(cell(key))
    assert console.export_text().strip() == key

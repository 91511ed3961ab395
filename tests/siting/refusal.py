"""The catalogue's check: a refused command says where, exits non-zero, writes nothing, edits nothing.

Every bad-input or fault case of the catalogue (``tests/siting/test_catalogue_*.py``) runs one
command in-process through :func:`siting.cli.main` and calls :func:`assert_refused`:

- the exit status is the expected one (1 for input and rule errors);
- every expected fragment (file, row or feature, column, constraint) is in the printed message;
- no traceback is printed;
- every message and hint printed has its Chinese in :data:`siting.messages.CATALOGUE`;
- every input file is byte-identical afterwards (sha256 of every file under the input folders);
- the output folders hold exactly what they held before (nothing new, nothing changed), and no
  hidden staging or temporary file (``.siting-*``) is left anywhere under the watched folders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from siting import cli
from siting.cli import main
from siting.messages import translate

__all__ = ["assert_refused", "snapshot"]

#: Four English words in a row: a message not yet in Chinese.
_ENGLISH = re.compile(r"[A-Za-z]{3,}(?:[ ,;:()'-]+[A-Za-z]{2,}){3,}")


def snapshot(folders: Iterable[Path]) -> dict[Path, str]:
    """sha256 of every file (hidden ones included) under each folder that exists."""
    out: dict[Path, str] = {}
    for folder in folders:
        folder = Path(folder)
        if folder.is_file():
            out[folder] = hashlib.sha256(folder.read_bytes()).hexdigest()
            continue
        if not folder.exists():
            continue
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out[p] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_refused(
    argv: Sequence[str],
    capsys,
    *,
    inputs: Iterable[Path],
    outputs: Iterable[Path] = (),
    says: Sequence[str] = (),
    exit_code: int = 1,
    lang: str = "en",
) -> str:
    """Run ``siting ARGV``; assert it was refused cleanly; return what it printed.

    ``inputs``: folders (or files) of the case's inputs; ``outputs``: folders a run would write
    into (the output dir, ``maps/``), which may exist beforehand with an earlier run's files.
    ``lang``: ``"en"`` runs ``siting --lang en ARGV``; anything else runs ARGV as given.
    """
    inputs = [Path(p) for p in inputs]
    outputs = [Path(p) for p in outputs]
    before_in = snapshot(inputs)
    before_out = snapshot(outputs)
    existed = {p: p.exists() for p in outputs}
    shown: list = []  # every problem the command printed, to check its Chinese below
    printed, listed = cli._print_problems, cli.problems_in

    def print_problems(console, exc, lang_):
        shown.extend(getattr(exc, "problems", None) or [])
        return printed(console, exc, lang_)

    def problems_in(problems, lang_, **kw):
        problems = list(problems)
        shown.extend(problems)
        return listed(problems, lang_, **kw)

    cli._print_problems, cli.problems_in = print_problems, problems_in
    try:
        # in English: the catalogue's fragments are the messages as written (test_messages.py
        # checks them in Chinese)
        code = main(["--lang", "en", *argv] if lang == "en" else list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    finally:
        cli._print_problems, cli.problems_in = printed, listed
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == exit_code, f"exit status {code}, expected {exit_code}:\n{text}"
    assert "Traceback" not in text, text
    # every message and hint printed has its Chinese in siting.messages' catalogue
    english = [
        part
        for p in shown
        for part in (p.message, p.hint)
        if part and translate(part, "zh") == part and _ENGLISH.search(part)
    ]
    assert english == [], f"no Chinese in siting/messages.py for: {english}"
    flat = " ".join(text.split())
    for fragment in says:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in the message:\n{text}"
    assert snapshot(inputs) == before_in, "an input file was changed"
    assert snapshot(outputs) == before_out, "the output folders changed"
    for p, did in existed.items():
        assert p.exists() == did, f"{p} was created"
    for folder in {*inputs, *outputs, *(p.parent for p in outputs)}:
        if folder.is_dir():
            left = [str(p) for p in folder.rglob(".siting-*")]
            assert not left, f"temporary files left: {left}"
    return text

"""``python -m canyu`` runs the CLI."""

from canyu.cli import main

main()

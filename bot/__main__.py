"""`python -m bot` is `paperbot`."""

from bot.cli import main

main()

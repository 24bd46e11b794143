"""``python -m generator --out DIR ...``: the generator without the main CLI."""

import sys

from generator.cli import main_generate

raise SystemExit(main_generate(sys.argv[1:]))

import sys

from pipelines.cli import main

# Guarded: a spawned child process (ingest runs in one) imports this module again.
if __name__ == "__main__":
    sys.exit(main())

"""``python -m grader.grading grade|release|gradescope|classroom ...`` (as ``kata ...``)."""

import argparse
import sys

from grader.grading.commands import COMMANDS, add_parsers
from grader.manifest import ManifestError, load_manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.grading")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        manifest = load_manifest()
    except ManifestError as err:
        print(f"kata: {err}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](manifest, args)


if __name__ == "__main__":
    sys.exit(main())

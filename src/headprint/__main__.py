import sys

from headprint.cli import main

sys.exit(main())

import sys

from moss_music.cli import main

sys.exit(main())

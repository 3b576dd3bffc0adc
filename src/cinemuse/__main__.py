from cinemuse.cli import main

raise SystemExit(main())

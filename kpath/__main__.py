from kpath.cli import main

raise SystemExit(main())

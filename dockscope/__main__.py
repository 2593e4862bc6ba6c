from dockscope.cli import main

raise SystemExit(main())
